// Caseward progressive enhancement. Pages work without it.
//
// Loaded as <script type="module" src="…/caseward.js"> (no inline script, so a
// Content-Security-Policy of script-src 'self' is enough). Browsers that cannot run
// ES modules, which govuk-frontend 5 needs, ignore it and get the plain HTML.
import { initAll } from "./govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Passkeys (WebAuthn) for Caseward: adding one on /account/passkeys, and using one
// instead of a code on /sign-in/code.
//
// Loaded as an ES module only by the pages that need it ({{define "scripts"}}), under a
// Content-Security-Policy of script-src 'self'. Everything it drives is hidden in the
// HTML and shown only here, once the browser has shown it supports WebAuthn, so
// without JavaScript or without passkey support the pages work as before: the code
// form signs in, and the passkeys page lists and removes passkeys.
//
// The server keeps each ceremony's challenge; this script only carries options and
// answers between the server and navigator.credentials, encoding the binary fields
// as base64url (the JSON forms of WebAuthn Level 3, written out so that browsers
// without PublicKeyCredential.parseCreationOptionsFromJSON work too).

const supported =
  typeof window.PublicKeyCredential === "function" &&
  typeof navigator.credentials?.create === "function" &&
  typeof navigator.credentials?.get === "function";

// --- encoding -------------------------------------------------------------------------

function b64encode(buffer) {
  let s = "";
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function b64decode(text) {
  let s = text.replace(/-/g, "+").replace(/_/g, "/");
  while (s.length % 4) s += "=";
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

function descriptors(list) {
  return (list ?? []).map((d) => ({ ...d, id: b64decode(d.id) }));
}

function creationOptions(o) {
  return {
    ...o,
    challenge: b64decode(o.challenge),
    user: { ...o.user, id: b64decode(o.user.id) },
    excludeCredentials: descriptors(o.excludeCredentials),
  };
}

function requestOptions(o) {
  return { ...o, challenge: b64decode(o.challenge), allowCredentials: descriptors(o.allowCredentials) };
}

// credentialJSON is the PublicKeyCredential as the server reads it.
function credentialJSON(credential) {
  const r = credential.response;
  const response = { clientDataJSON: b64encode(r.clientDataJSON) };
  if ("attestationObject" in r) {
    response.attestationObject = b64encode(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = b64encode(r.authenticatorData);
    response.signature = b64encode(r.signature);
    if (r.userHandle) response.userHandle = b64encode(r.userHandle);
  }
  const json = {
    id: credential.id,
    rawId: b64encode(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults(),
    response,
  };
  if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
  return json;
}

// --- talking to the server ------------------------------------------------------------

class ServerError extends Error {
  constructor(status, body) {
    const e = body?.error ?? {};
    super(e.message || "Something went wrong. Try again.");
    this.status = status;
    this.code = e.code;
    this.fields = e.fields ?? [];
  }
}

async function postJSON(url, body) {
  const resp = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
    credentials: "same-origin",
    cache: "no-store",
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    // not JSON: a proxy's error page, say
  }
  if (!resp.ok) throw new ServerError(resp.status, data);
  return data;
}

// localPath accepts only a path on this site to go to.
function localPath(p, fallback) {
  return typeof p === "string" && p.startsWith("/") && !p.startsWith("//") && !p.includes("\\") ? p : fallback;
}

// messageFor turns a failure into a sentence for the person.
function messageFor(err, action) {
  switch (err?.name) {
    case "NotAllowedError":
      return `The passkey was not ${action}: the request was cancelled or timed out. Try again.`;
    case "InvalidStateError":
      return "This device already has a passkey for your account.";
    case "SecurityError":
      return "Passkeys cannot be used at this address.";
  }
  if (err instanceof ServerError) return err.message;
  return "Something went wrong. Try again.";
}

// --- adding a passkey (/account/passkeys) ----------------------------------------------

function setUpRegistration(form) {
  const errors = document.querySelector("[data-passkey-errors]");
  const input = form.querySelector("input[name=name]");
  const group = input.closest(".govuk-form-group");
  const button = form.querySelector("button[type=submit]");
  const title = document.title;

  function clearErrors() {
    errors.replaceChildren();
    group.classList.remove("govuk-form-group--error");
    input.classList.remove("govuk-input--error");
    document.getElementById("passkey-name-error")?.remove();
    input.setAttribute("aria-describedby", "passkey-name-hint");
    document.title = title;
  }

  // showError shows the GOV.UK error summary and, for the name, the message by it.
  function showError(message, onName) {
    const summary = document.createElement("div");
    summary.className = "govuk-error-summary";
    summary.tabIndex = -1;
    const alert = document.createElement("div");
    alert.setAttribute("role", "alert");
    const heading = document.createElement("h2");
    heading.className = "govuk-error-summary__title";
    heading.textContent = "There is a problem";
    const body = document.createElement("div");
    body.className = "govuk-error-summary__body";
    const list = document.createElement("ul");
    list.className = "govuk-list govuk-error-summary__list";
    const item = document.createElement("li");
    if (onName) {
      const link = document.createElement("a");
      link.href = "#passkey-name";
      link.textContent = message;
      item.append(link);
    } else {
      item.textContent = message;
    }
    list.append(item);
    body.append(list);
    alert.append(heading, body);
    summary.append(alert);
    errors.replaceChildren(summary);
    document.title = "Error: " + title;
    if (onName) {
      const p = document.createElement("p");
      p.id = "passkey-name-error";
      p.className = "govuk-error-message";
      const hidden = document.createElement("span");
      hidden.className = "govuk-visually-hidden";
      hidden.textContent = "Error:";
      p.append(hidden, " " + message);
      input.before(p);
      group.classList.add("govuk-form-group--error");
      input.classList.add("govuk-input--error");
      input.setAttribute("aria-describedby", "passkey-name-hint passkey-name-error");
    }
    summary.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    button.disabled = true;
    try {
      const begun = await postJSON("/account/passkeys/register/begin", { name: input.value });
      const credential = await navigator.credentials.create({ publicKey: creationOptions(begun.publicKey) });
      const done = await postJSON("/account/passkeys/register/finish", { credential: credentialJSON(credential) });
      window.location.assign(localPath(done?.redirect, "/account/passkeys"));
      return;
    } catch (err) {
      if (err instanceof ServerError && err.code === "reauthenticate") {
        window.location.assign("/reauthenticate?next=%2Faccount%2Fpasskeys");
        return;
      }
      if (err instanceof ServerError && err.code === "signed_out") {
        window.location.assign("/sign-in");
        return;
      }
      showError(messageFor(err, "added"), err instanceof ServerError && err.fields.some((f) => f.field === "name"));
    }
    button.disabled = false;
  });

  form.hidden = false;
  document.querySelector("[data-passkey-unsupported]")?.remove();
}

// --- signing in with a passkey (/sign-in/code) -----------------------------------------

async function setUpSignIn(section) {
  const form = section.querySelector("form");
  const button = section.querySelector("button");
  const error = section.querySelector("[data-passkey-error]");

  // begin asks for a fresh challenge; null when the account has no passkey here.
  async function begin() {
    try {
      return (await postJSON("/sign-in/passkey/begin", {})).publicKey;
    } catch {
      return null;
    }
  }

  // The options are fetched before the click, so the browser's passkey prompt
  // opens straight from the click (some browsers insist on that).
  let options = await begin();
  if (!options) return;

  button.addEventListener("click", async () => {
    error.replaceChildren();
    button.disabled = true;
    try {
      const publicKey = options ?? (await begin());
      options = null;
      if (!publicKey) throw new Error("no options");
      const credential = await navigator.credentials.get({ publicKey: requestOptions(publicKey) });
      form.elements.credential.value = JSON.stringify(credentialJSON(credential));
      form.submit(); // an ordinary form post: the server answers with the next page
      return;
    } catch (err) {
      const p = document.createElement("p");
      p.className = "govuk-error-message";
      p.textContent = messageFor(err, "used");
      error.replaceChildren(p);
      options = await begin();
    }
    button.disabled = false;
  });

  section.hidden = false;
}

if (supported) {
  const register = document.querySelector("form[data-passkey-register]");
  if (register) setUpRegistration(register);
  const signIn = document.querySelector("[data-passkey-signin]");
  if (signIn) await setUpSignIn(signIn);
}

// Signature box for the signing pages (P11): sign with a finger, a pen or the
// mouse on a <canvas>. Loaded only by pages that define the "scripts" block.
//
// Without this script the page still works: the client types their full name
// and ticks "I agree". With it, a box appears above the typed name; the strokes
// are written into the hidden input "signature" as compact SVG path data
// ("M x y L x y …", whole numbers in a 1000 × 300 box), which the server checks
// and seals under the client's key. Typing stays available: drawing is never
// the only way to sign (WCAG 2.2, 2.5.7 dragging movements).

const W = 1000;
const H = 300;
const MAX_LENGTH = 48000; // as casework.MaxSignatureLength

for (const box of document.querySelectorAll("[data-signature]")) {
  const form = box.closest("form");
  const canvas = box.querySelector("[data-signature-pad]");
  const input = form && form.querySelector('input[name="signature"]');
  const clear = box.querySelector("[data-signature-clear]");
  const status = box.querySelector("[data-signature-status]");
  if (!canvas || !input || !canvas.getContext) continue;
  const ctx = canvas.getContext("2d");

  // Styles from script (CSSOM) are allowed by the Content-Security-Policy;
  // inline style attributes are not.
  Object.assign(canvas.style, {
    display: "block",
    width: "100%",
    maxWidth: "40em",
    aspectRatio: W + " / " + H,
    border: "2px solid #0b0c0c",
    background: "#fff",
    touchAction: "none", // the finger draws; it does not scroll the page
    cursor: "crosshair",
  });
  box.hidden = false;

  let strokes = parse(input.value);
  let current = null;
  redraw();

  function parse(d) {
    const out = [];
    const re = /([ML])\s*(\d+)[ ,]\s*(\d+)/g;
    let m;
    while ((m = re.exec(d)) !== null) {
      const p = [Number(m[2]), Number(m[3])];
      if (m[1] === "M" || out.length === 0) out.push([p]);
      else out[out.length - 1].push(p);
    }
    return out;
  }

  function serialise() {
    let d = "";
    for (const s of strokes) {
      const pts = s.length === 1 ? [s[0], s[0]] : s; // a dot is a stroke too
      d += "M" + pts[0][0] + " " + pts[0][1];
      for (let i = 1; i < pts.length; i++) d += "L" + pts[i][0] + " " + pts[i][1];
    }
    return d;
  }

  function write() {
    const d = serialise();
    input.value = d.length <= MAX_LENGTH ? d : "";
    if (status) {
      status.textContent = strokes.length ? "Signature drawn." : "The signature box is empty.";
    }
  }

  function redraw() {
    ctx.clearRect(0, 0, W, H);
    ctx.lineWidth = 6;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#0b0c0c";
    // A line to sign on.
    ctx.save();
    ctx.strokeStyle = "#b1b4b6";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(40, H - 60);
    ctx.lineTo(W - 40, H - 60);
    ctx.stroke();
    ctx.restore();
    for (const s of strokes) {
      ctx.beginPath();
      ctx.moveTo(s[0][0], s[0][1]);
      if (s.length === 1) ctx.lineTo(s[0][0] + 0.1, s[0][1]);
      for (let i = 1; i < s.length; i++) ctx.lineTo(s[i][0], s[i][1]);
      ctx.stroke();
    }
  }

  function point(e) {
    const r = canvas.getBoundingClientRect();
    const x = Math.round(((e.clientX - r.left) * W) / r.width);
    const y = Math.round(((e.clientY - r.top) * H) / r.height);
    return [Math.min(W, Math.max(0, x)), Math.min(H, Math.max(0, y))];
  }

  function add(p) {
    const last = current[current.length - 1];
    // Skip points closer than 3 units: smaller paths, no visible loss.
    if (Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) < 3) return;
    if (serialise().length > MAX_LENGTH - 40) return;
    current.push(p);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
  }

  canvas.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    current = [point(e)];
    strokes.push(current);
    redraw();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!current) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ce of events.length ? events : [e]) add(point(ce));
  });
  const end = () => {
    if (!current) return;
    current = null;
    write();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end);

  if (clear) {
    clear.addEventListener("click", () => {
      strokes = [];
      current = null;
      redraw();
      write();
    });
  }
  form.addEventListener("submit", write);
}

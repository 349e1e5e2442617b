// Passkeys in the browser: with forms.js the pages' only script, small and
// without dependencies.
//
// A form marked data-passkey="create" or "get" holds hidden ceremony_id and
// credential fields and a button marked data-passkey-start. Pressing it asks
// the server function named by data-passkey-options for the ceremony's
// options, lets the browser make or use a passkey, puts the answer into the
// hidden fields and posts the form as a plain form would (the answer page
// then loads whole, with its notice or error). Without WebAuthn (or without
// JavaScript) elements of class passkey-only stay hidden and the other
// methods remain.
(function () {
  "use strict";
  var supported =
    window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
  if (!supported) return;
  document.documentElement.classList.add("passkeys");

  function say(form, text) {
    var status = form.parentElement.querySelector("[data-passkey-status]");
    if (status) status.textContent = text;
  }

  async function options(form) {
    var reply = await fetch(form.getAttribute("data-passkey-options"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)).toString(),
      credentials: "same-origin",
    });
    if (!reply.ok) return null;
    return reply.json();
  }

  async function start(form, button) {
    var kind = form.getAttribute("data-passkey");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say(form, "Waiting for your passkey…");
    try {
      var ceremony = await options(form);
      if (!ceremony || !ceremony.ceremony_id) {
        // Let the page say why (a stale sign-in, a lock, a sign-in that
        // ended): adding one, the refused form does; signing in, the page
        // itself does (an empty answer there would cost a try).
        if (kind === "create") form.submit();
        else window.location.reload();
        return;
      }
      var credential =
        kind === "create"
          ? await navigator.credentials.create({
              publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(ceremony.publicKey),
            })
          : await navigator.credentials.get({
              publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(ceremony.publicKey),
            });
      form.querySelector("input[name=ceremony_id]").value = ceremony.ceremony_id;
      form.querySelector("input[name=credential]").value = JSON.stringify(credential.toJSON());
      say(form, "Checking…");
      form.submit();
    } catch (error) {
      say(
        form,
        error && error.name === "NotAllowedError"
          ? "The passkey prompt was closed or timed out. Try again, or use another method."
          : "This browser could not use a passkey. Try again, or use another method."
      );
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  // Delegated: one listener for every passkey form of the page.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-passkey-start]");
    if (!button) return;
    var form = button.closest("form[data-passkey]");
    if (!form) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    start(form, button);
  });
})();

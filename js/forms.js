// The pages' script (with passkey.js): no page ships WebAssembly, the server
// draws each whole. Small and without dependencies; every form is a plain
// form that works without it too, and every action is a post the server
// answers with the page again (its notice or its error in the URL).
//
// - A form being sent says so: its submit button is marked busy and then
//   disabled, its status line says "Working…", and a second press does not
//   send it again (argon2 can take a moment under load). A button marked
//   data-download (the file comes back, the page stays) is left alone.
// - Buttons marked data-copy="text" or data-print, hidden without a script,
//   appear and copy the text or print the page.
// - A button marked data-wait="seconds" stays disabled while the server would
//   refuse it, counting down in the hint it is described by.
// - The focus goes to the field a refusal is about (aria-invalid), else to the
//   element marked autofocus (a dialog's Confirm, a form's first field).
// - Escape in a dialog marked data-cancel="URL" goes there, as it would close
//   a modal dialog.
// - A radio button marked data-disables="ID" disables the fields inside the
//   element ID while it is checked (the server ignores them then anyway).
// - A field marked data-keep (an email, a name, a reason, a ticked box:
//   never a password or a code) is kept in this tab's sessionStorage while
//   its form is sent, and put back only if the page comes back with an error
//   — a refused form is drawn again by the server, which does not echo what
//   was typed.
(function () {
  "use strict";

  function progressAfter(element) {
    var next = element.nextElementSibling;
    return next && next.classList.contains("progress") ? next : null;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    // A download leaves the page where it is: nothing to wait for.
    if (event.submitter && event.submitter.hasAttribute("data-download")) return;
    if (form.hasAttribute("data-sending")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "");
    // A send stopped by the user (or lost) must not lock the form for good.
    setTimeout(function () {
      release(form);
    }, 15000);
    keep(form);
    var button = event.submitter || form.querySelector("button[type=submit]");
    if (!button) return;
    button.setAttribute("aria-busy", "true");
    var progress = progressAfter(button);
    if (progress) progress.textContent = "Working…";
    // After the form's data is gathered: a disabled button would not be sent.
    setTimeout(function () {
      button.disabled = true;
    }, 0);
  });

  function release(form) {
    form.removeAttribute("data-sending");
    form.querySelectorAll("button[aria-busy=true]").forEach(function (button) {
      button.disabled = false;
      button.setAttribute("aria-busy", "false");
      var progress = progressAfter(button);
      if (progress) progress.textContent = "";
    });
  }

  // Back to a page: the browser puts back what was chosen after the script
  // started, so the radio buttons that disable a list are read again; a page
  // it kept whole is not sending any more.
  window.addEventListener("pageshow", function (event) {
    document.querySelectorAll("input[type=radio][data-disables]").forEach(applyDisables);
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(release);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy], button[data-print]");
    if (!button) return;
    if (button.hasAttribute("data-print")) {
      window.print();
      return;
    }
    var progress = progressAfter(button);
    var say = function (text) {
      if (progress) progress.textContent = text;
    };
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(
      function () {
        say("Copied");
      },
      function () {
        say("Copying did not work: select the text and copy it.");
      }
    );
  });

  function hintFor(seconds) {
    if (seconds <= 0) return "You can ask for a new code now; it replaces the old one.";
    if (seconds === 1) return "You can ask for a new code in 1 second.";
    return "You can ask for a new code in " + seconds + " seconds.";
  }

  function countDown(button) {
    var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
    var hint = document.getElementById(button.getAttribute("aria-describedby"));
    var timer = setInterval(function () {
      left = Math.max(left - 1, 0);
      if (hint) hint.textContent = hintFor(left);
      if (left === 0) {
        clearInterval(timer);
        button.disabled = false;
      }
    }, 1000);
  }

  var KEPT = "gatehouse.kept";
  var KEPT_FOR_MS = 2 * 60 * 1000;

  // A text field is kept by its name; a box or a radio button by its name
  // and value, with whether it was ticked.
  function keptName(field) {
    return field.type === "checkbox" || field.type === "radio" ? field.name + "\u0000" + field.value : field.name;
  }

  function keep(form) {
    var fields = {};
    form.querySelectorAll("[data-keep]").forEach(function (field) {
      if (!field.name) return;
      var checkable = field.type === "checkbox" || field.type === "radio";
      fields[keptName(field)] = checkable ? field.checked : field.value;
    });
    try {
      sessionStorage.setItem(
        KEPT,
        JSON.stringify({ action: form.getAttribute("action"), fields: fields, at: Date.now() })
      );
    } catch (e) {
      // Storage off or full: the field is simply typed again.
    }
  }

  function restoreAfterRefusal() {
    var kept;
    try {
      kept = JSON.parse(sessionStorage.getItem(KEPT) || "null");
      sessionStorage.removeItem(KEPT);
    } catch (e) {
      return;
    }
    // Only for the page that answers this send: not later, not elsewhere.
    if (!kept || !/[?&]error=/.test(location.search) || !(Date.now() - kept.at < KEPT_FOR_MS)) return;
    document.querySelectorAll("form").forEach(function (form) {
      if (form.getAttribute("action") !== kept.action) return;
      // What was sent, over what the server drew (a rename's old name, a
      // list's saved addresses): the refusal is about what was typed.
      form.querySelectorAll("[data-keep]").forEach(function (field) {
        var value = kept.fields[keptName(field)];
        if (typeof value === "boolean") field.checked = value;
        else if (typeof value === "string") field.value = value;
      });
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    var dialog = event.target.closest && event.target.closest("[role=dialog][data-cancel]");
    if (dialog) location.assign(dialog.getAttribute("data-cancel"));
  });

  // Every radio button of the group of `radio` that disables something.
  function applyDisables(radio) {
    if (!radio.form || !radio.name) return;
    radio.form.querySelectorAll('input[type=radio][data-disables]').forEach(function (option) {
      if (option.name !== radio.name) return;
      var target = document.getElementById(option.getAttribute("data-disables"));
      if (!target) return;
      target.querySelectorAll("input, select, textarea, button").forEach(function (field) {
        field.disabled = option.checked;
      });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target instanceof HTMLInputElement && event.target.type === "radio") applyDisables(event.target);
  });

  // The field a refusal is about, else the page's first field or a
  // dialog's button, else the refusal itself, read out where it stands.
  function focusFirst() {
    var target = document.querySelector('main [aria-invalid="true"]') || document.querySelector("main [autofocus]");
    if (!target && /[?&]error=/.test(location.search)) {
      target = document.querySelector("main .alert.error");
      if (target) target.setAttribute("tabindex", "-1");
    }
    if (target && document.activeElement !== target) target.focus();
  }

  function start() {
    restoreAfterRefusal();
    focusFirst();
    document.querySelectorAll("button[data-copy][hidden], button[data-print][hidden]").forEach(function (button) {
      button.hidden = false;
    });
    document.querySelectorAll("input[type=radio][data-disables]").forEach(applyDisables);
    document.querySelectorAll("button[data-wait]").forEach(function (button) {
      if (button.disabled) countDown(button);
    });
    // Lets tests (and curious people) know the page's script is in place.
    window.__GATEHOUSE_SCRIPTED__ = true;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

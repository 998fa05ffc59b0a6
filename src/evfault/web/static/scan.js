// "Scan the screen": the photo the camera took goes to /api/v1/scan; one code opens its page,
// several (or one read unsurely) become a list to pick from. Without JavaScript the same form
// posts to /help/scan and the server answers with the same choices.
(function () {
  "use strict";
  const form = document.getElementById("scan-form");
  if (!form || !window.fetch || !window.FormData) return;
  const input = form.querySelector("input[type=file]");
  const status = document.getElementById("scan-status");
  const choices = document.getElementById("scan-choices");
  const tips = document.getElementById("scan-tips");
  const LONGEST_SIDE = 1600; // what the server reads anyway: less to send over a phone network

  form.classList.add("scan-ready");

  // Re-encoding through a canvas also drops the photo's EXIF data, its location included.
  async function shrink(file) {
    if (!window.createImageBitmap || !file.type.startsWith("image/")) return file;
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
      return blob || file;
    } catch (err) {
      return file; // a format the browser cannot draw: let the server try
    }
  }

  function say(text) {
    status.textContent = text;
  }

  function withLang(url, lang) {
    return lang ? url + "?lang=" + encodeURIComponent(lang) : url;
  }

  function showChoices(answer) {
    choices.replaceChildren();
    for (const code of answer.codes) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = withLang(code.help_url, answer.lang);
      const chip = document.createElement("span");
      chip.className = "code-chip";
      chip.textContent = code.code;
      const title = document.createElement("span");
      title.className = "result-title";
      title.textContent = " " + code.title + " ";
      const sure = document.createElement("span");
      sure.className = "muted";
      sure.textContent = form.dataset.sure.replace("{percent}", Math.round(code.confidence * 100));
      link.append(chip, title, sure);
      item.append(link);
      choices.append(item);
    }
    choices.hidden = false;
  }


  async function send() {
    if (!input.files || !input.files.length) return;
    say(form.dataset.busy);
    choices.hidden = true;
    tips.hidden = true;
    const body = new FormData(form);
    const photo = await shrink(input.files[0]);
    body.set("image", photo, "screen.jpg");
    let answer;
    try {
      const response = await fetch(form.dataset.api, { method: "POST", body: body });
      answer = await response.json();
      if (!response.ok) {
        say(answer.error || form.dataset.failed);
        return;
      }
    } catch (err) {
      say(form.dataset.failed);
      return;
    }
    if (answer.status === "found") {
      window.location.assign(withLang(answer.codes[0].help_url, answer.lang));
    } else if (answer.status === "choose") {
      say(form.dataset.choose);
      showChoices(answer);
    } else {
      say(form.dataset.unreadable);
      tips.hidden = false; // the page's own tips, in the page's language
    }
  }

  input.addEventListener("change", send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
})();

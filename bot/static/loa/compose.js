/* Compose: show the fields of the chosen kind and the channels of the chosen unit, count characters,
   and refresh the per-channel preview ~300 ms after the officer stops typing. Without this file the
   form still works: every fieldset is shown and the "Preview" button renders the preview server-side. */
(function () {
  "use strict";
  var form = document.getElementById("compose");
  if (!form || !window.fetch || !window.FormData) { return; }
  var preview = document.getElementById("preview");
  var panes = document.getElementById("preview-panes");
  var errorBox = document.getElementById("preview-error");
  var emptyBox = document.getElementById("preview-empty");
  var kindSelect = document.getElementById("id_kind");
  var unitInput = document.getElementById("id_unit");
  var addSection = document.getElementById("add-section");
  var DELAY = 300;
  var timer = null;
  var sequence = 0;

  function setEnabled(container, on) {
    container.hidden = !on;
    if (container.tagName === "FIELDSET") { container.disabled = !on; return; }
    container.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !on; });
  }

  function showKind() {
    form.querySelectorAll(".kind-fields").forEach(function (fs) {
      setEnabled(fs, fs.getAttribute("data-kind") === kindSelect.value);
    });
  }

  function showUnit() {
    form.querySelectorAll(".channel-group").forEach(function (group) {
      setEnabled(group, group.getAttribute("data-unit") === unitInput.value);
    });
  }

  function length(text) { return Array.from(text.normalize("NFC")).length; }

  function counterState(used, limit) {
    if (!limit || used < 0.9 * limit) { return "ok"; }
    return used > limit ? "over" : "near";
  }

  function updateFieldCounters() {
    form.querySelectorAll(".field-counter[data-for]").forEach(function (counter) {
      var input = document.getElementById(counter.getAttribute("data-for"));
      if (!input) { return; }
      var limit = parseInt(input.getAttribute("data-limit"), 10);
      var used = length(input.value);
      counter.textContent = used ? used + " / " + limit : "";
      counter.className = "field-counter " + counterState(used, limit);
    });
  }

  function addSectionGroup() {
    var groups = form.querySelectorAll("#sections fieldset.section");
    var max = parseInt(addSection.getAttribute("data-max"), 10) || 12;
    if (!groups.length || groups.length >= max) { return; }
    var number = groups.length + 1;
    var copy = groups[groups.length - 1].cloneNode(true);
    copy.querySelectorAll("input, textarea").forEach(function (el) {
      el.value = "";
      el.id = el.id.replace(/_\d+$/, "_" + number);
    });
    copy.querySelectorAll("label[for]").forEach(function (label) {
      label.htmlFor = label.htmlFor.replace(/_\d+$/, "_" + number);
    });
    var legend = copy.querySelector("legend");
    legend.textContent = legend.textContent.replace(/\d+/, String(number));
    groups[groups.length - 1].after(copy);
    addSection.hidden = number >= max;
    copy.querySelector("input").focus();
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function pane(channel, oldImages) {
    var article = element("article", "channel-preview card");
    article.setAttribute("data-channel", channel.channel);
    article.setAttribute("data-state", channel.state);
    var head = element("header", "channel-head");
    var title = element("h3", "", channel.channel + " ");
    title.appendChild(element("span", "muted", channel.label));
    head.appendChild(title);
    head.appendChild(element("span", "counter " + channel.state, channel.counter));
    article.appendChild(head);
    if (channel.error) {
      var problem = element("p", "error channel-error", channel.error);
      problem.setAttribute("role", "alert");
      article.appendChild(problem);
    }
    if (channel.card_url) {
      // The same card keeps its <img>, so typing elsewhere does not make the picture blink.
      var img = oldImages[channel.channel];
      if (!img || img.getAttribute("src") !== channel.card_url) {
        img = element("img", "card-preview");
        img.src = channel.card_url;
      }
      img.alt = channel.card_alt;
      article.appendChild(img);
    }
    var text = element("pre", "preview-text", channel.text);
    text.setAttribute("data-format", channel.text_format);
    article.appendChild(text);
    return article;
  }

  function show(data) {
    errorBox.textContent = data.error || "";
    errorBox.hidden = !data.error;
    preview.classList.toggle("stale", Boolean(data.error));
    if (data.error) { return; }
    var oldImages = {};
    panes.querySelectorAll("article.channel-preview").forEach(function (article) {
      var img = article.querySelector("img.card-preview");
      if (img) { oldImages[article.getAttribute("data-channel")] = img; }
    });
    var fresh = document.createDocumentFragment();
    data.channels.forEach(function (channel) { fresh.appendChild(pane(channel, oldImages)); });
    panes.replaceChildren(fresh);
    emptyBox.hidden = data.channels.length > 0;
  }

  function refresh() {
    var mine = ++sequence;
    var body = new FormData(form);
    body.set("action", "preview");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      if (mine === sequence) { show(data); }
    }).catch(function () {
      if (mine === sequence) { show({error: preview.getAttribute("data-failed"), channels: []}); }
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY);
  }

  // A second click on "Submit" while the first is on its way would write the post twice.
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
  });
  window.addEventListener("pageshow", function () { sending = false; });
  form.addEventListener("input", function () { updateFieldCounters(); schedule(); });
  form.addEventListener("change", function (event) {
    if (event.target === kindSelect) { showKind(); }
    if (event.target === unitInput) { showUnit(); }
    schedule();
  });
  form.querySelectorAll(".no-js-hint").forEach(function (hint) { hint.hidden = true; });
  if (addSection) {
    addSection.hidden = false;
    addSection.addEventListener("click", addSectionGroup);
  }
  showKind();
  showUnit();
  updateFieldCounters();
  if (form.querySelector("input[name=channels]:checked")) { refresh(); }
}());

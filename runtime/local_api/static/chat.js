// The chat page: one rep's Telegram app over the local Bot API (runtime/local_api/page.py).
// Messages are drawn from their text and Telegram's entities with DOM nodes, never innerHTML, so a
// name with "<" or "&" in it shows as typed, as in Telegram.
"use strict";

const $ = (id) => document.getElementById(id);
const chat = $("chat");
const state = { user: null, version: -1, shown: new Map(), poll: null, commands: [], languages: {} };
// Where a rep of each language is likely to be, for the location form's first choice.
const HOME = { en: "London", fi: "Helsinki", nb: "Oslo", hu: "Budapest", fr: "Paris" };

async function post(path, body, isForm) {
  const headers = { "X-Chat-Page": "1" };
  if (!isForm) headers["Content-Type"] = "application/json";
  const answer = await fetch(`/api/chats/${state.user}/${path}`, {
    method: "POST", headers, body: isForm ? body : JSON.stringify(body),
  });
  const json = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    toast(json.error || `the page could not send that (${answer.status})`);
    return null;
  }
  return json;
}

// -- formatted text, as Telegram draws entities -------------------------------------------------------

const SIMPLE = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code" };

function elementFor(entity) {
  if (SIMPLE[entity.type]) return document.createElement(SIMPLE[entity.type]);
  if (entity.type === "pre") {
    const pre = document.createElement("pre");
    const code = document.createElement("code");
    if (entity.language) code.className = `language-${entity.language}`;
    pre.appendChild(code);
    return pre;
  }
  if (entity.type === "text_link") {
    const link = document.createElement("a");
    if (/^https?:\/\//i.test(entity.url)) link.href = entity.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }
  if (entity.type === "spoiler") {
    const span = document.createElement("span");
    span.className = "spoiler";
    span.addEventListener("click", () => span.classList.add("shown"));
    return span;
  }
  if (entity.type === "blockquote" || entity.type === "expandable_blockquote") {
    return document.createElement("blockquote");
  }
  return document.createElement("span");
}

// Offsets and lengths are UTF-16 code units, as JavaScript strings are: slices line up.
function renderText(target, text, entities, start, end) {
  let position = start;
  const inside = entities.filter((e) => e.offset >= start && e.offset + e.length <= end);
  inside.sort((a, b) => a.offset - b.offset || b.length - a.length);
  let index = 0;
  while (index < inside.length) {
    const entity = inside[index];
    if (entity.offset > position) target.appendChild(document.createTextNode(text.slice(position, entity.offset)));
    const element = elementFor(entity);
    const holder = element.tagName === "PRE" ? element.firstChild : element;
    const nested = [];
    index += 1;
    while (index < inside.length && inside[index].offset < entity.offset + entity.length) {
      nested.push(inside[index]);
      index += 1;
    }
    renderText(holder, text, nested, entity.offset, entity.offset + entity.length);
    target.appendChild(element);
    position = entity.offset + entity.length;
  }
  if (position < end) target.appendChild(document.createTextNode(text.slice(position, end)));
}

// -- messages --------------------------------------------------------------------------------------

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

function fileLink(document_) {
  const link = document.createElement("a");
  link.className = "file";
  link.href = document_.url;
  link.download = document_.name;
  const icon = document.createElement("span");
  icon.className = "icon";
  icon.textContent = "📄";
  const about = document.createElement("span");
  const name = document.createElement("div");
  name.className = "file-name";
  name.textContent = document_.name;
  const bytes = document.createElement("div");
  bytes.className = "file-size";
  bytes.textContent = size(document_.size);
  about.append(name, bytes);
  link.append(icon, about);
  return link;
}

function contactCard(contact) {
  const card = document.createElement("div");
  card.className = "contact-card";
  const icon = document.createElement("span");
  icon.className = "icon";
  icon.textContent = "👤";
  const about = document.createElement("div");
  const name = document.createElement("div");
  name.textContent = [contact.first_name, contact.last_name].filter(Boolean).join(" ");
  const phone = document.createElement("div");
  phone.className = "phone";
  phone.textContent = contact.phone_number;
  about.append(name, phone);
  card.append(icon, about);
  return card;
}

function locationCard(location) {
  const card = document.createElement("div");
  card.className = "location-card";
  const icon = document.createElement("span");
  icon.className = "icon";
  icon.textContent = "📍";
  const about = document.createElement("div");
  about.textContent = `${location.latitude.toFixed(4)}, ${location.longitude.toFixed(4)}`;
  card.append(icon, about);
  return card;
}

// The reply keyboard sits under the chat, in place of the phone's keyboard, until the bot removes it.
function replyKeyboard(rows) {
  const board = $("reply-keyboard");
  board.replaceChildren();
  board.hidden = !rows || rows.length === 0;
  for (const row of rows || []) {
    const line = document.createElement("div");
    line.className = "row";
    for (const button of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.text;
      element.addEventListener("click", () => {
        if (button.kind === "location") openForm("location-form");
        else if (button.kind === "contact") openForm("contact-form");
        else post("reply-button", { text: button.text });
      });
      line.appendChild(element);
    }
    board.appendChild(line);
  }
}

function openForm(id) {
  closeMenus();
  const form = $(id).querySelector("form");
  form.reset();
  if (id === "location-form") {
    const home = [...form.elements.place.options].find((o) => o.text === HOME[state.languages[state.user]]);
    if (home) form.elements.place.value = home.value;
  }
  $(id).hidden = false;
  form.elements[0].focus();
}

function keyboard(message) {
  const board = document.createElement("div");
  board.className = "keyboard";
  for (const row of message.buttons) {
    const line = document.createElement("div");
    line.className = "row";
    for (const button of row) {
      let element;
      if (button.url) {
        element = document.createElement("a");
        element.href = button.url;
        element.target = "_blank";
        element.rel = "noopener noreferrer";
      } else if (typeof button.copy === "string") {
        // As Telegram's apps do: the text goes to the clipboard, and the bot is not told.
        element = document.createElement("button");
        element.type = "button";
        element.addEventListener("click", async () => {
          try {
            await navigator.clipboard.writeText(button.copy);
            toast("Copied to clipboard");
          } catch {
            toast(button.copy);
          }
        });
      } else {
        element = document.createElement("button");
        element.type = "button";
        element.addEventListener("click", () => press(element, message.id, button.data));
      }
      element.textContent = button.text;
      element.title = button.text;
      line.appendChild(element);
    }
    board.appendChild(line);
  }
  return board;
}

function messageElement(message) {
  const wrap = document.createElement("div");
  wrap.className = `message ${message.from}`;
  wrap.dataset.messageId = message.id;
  const bubble = document.createElement("div");
  bubble.className = "bubble";
  if (message.photo) {
    const image = document.createElement("img");
    image.className = "photo";
    image.src = message.photo;
    image.alt = "photo";
    // A picture grows the chat once loaded: keep the newest message in view.
    image.addEventListener("load", () => {
      if (wrap === chat.lastElementChild || wrap.nextElementSibling === null) chat.scrollTop = chat.scrollHeight;
    });
    bubble.appendChild(image);
  }
  if (message.document) bubble.appendChild(fileLink(message.document));
  if (message.contact) bubble.appendChild(contactCard(message.contact));
  if (message.location) bubble.appendChild(locationCard(message.location));
  if (message.text) {
    const text = document.createElement("div");
    text.className = "text";
    renderText(text, message.text, message.entities || [], 0, message.text.length);
    bubble.appendChild(text);
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = (message.edited ? "edited " : "") + clock(message.date);
  bubble.appendChild(meta);
  wrap.appendChild(bubble);
  if (message.buttons && message.buttons.length) wrap.appendChild(keyboard(message));
  return wrap;
}

function render(view) {
  const nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;
  const seen = new Set();
  let previous = null;
  let added = false;
  for (const message of view.messages) {
    const key = `${message.from}-${message.id}`;
    const json = JSON.stringify(message);
    seen.add(key);
    let entry = state.shown.get(key);
    if (!entry || entry.json !== json) {
      // An edit replaces the bubble in place; a new message goes after the one before it.
      const element = messageElement(message);
      if (entry) entry.element.replaceWith(element);
      else {
        added = true;
        if (previous) previous.after(element);
        else chat.prepend(element);
      }
      entry = { json, element };
      state.shown.set(key, entry);
    }
    previous = entry.element;
  }
  for (const [key, entry] of state.shown) {
    if (!seen.has(key)) {
      entry.element.remove();
      state.shown.delete(key);
    }
  }
  chat.querySelectorAll(".refused").forEach((note) => note.remove());
  for (const refusal of view.refused) {
    const note = document.createElement("div");
    note.className = "refused";
    note.textContent = `⚠ Telegram would refuse ${refusal.method}: ${refusal.code} ${refusal.description}`;
    chat.appendChild(note);
  }
  $("empty").hidden = view.messages.length > 0;
  replyKeyboard(view.reply_keyboard);
  state.commands = view.commands;
  if (added || nearBottom) chat.scrollTop = chat.scrollHeight;
}

async function follow(user) {
  // One long poll at a time per page: the answer comes when the chat changed, or empty-handed.
  const controller = new AbortController();
  state.poll = controller;
  while (state.user === user && !controller.signal.aborted) {
    try {
      const answer = await fetch(`/api/chats/${user}?after=${state.version}`, { signal: controller.signal });
      if (!answer.ok) throw new Error(String(answer.status));
      const view = await answer.json();
      if (state.user !== user) return;
      if (view.version !== state.version) {
        state.version = view.version;
        render(view);
      }
      $("bot-status").textContent = "bot · local Bot API";
    } catch (error) {
      if (controller.signal.aborted) return;
      $("bot-status").textContent = "waiting for the bot…";
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// -- what the rep does -----------------------------------------------------------------------------

let toastTimer = null;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").hidden = false;
  $("alert-ok").focus();
}

async function press(element, messageId, data) {
  element.classList.add("pressing");
  const answer = await post("press", { message_id: messageId, data });
  element.classList.remove("pressing");
  if (answer && answer.answer && answer.answer.text) {
    if (answer.answer.alert) alertBox(answer.answer.text);
    else toast(answer.answer.text);
  }
}

async function sendText(text) {
  if (!text.trim()) return;
  await post("text", { text });
}

function closeMenus() {
  $("commands").hidden = true;
  $("attach-menu").hidden = true;
}

function showCommands() {
  const menu = $("commands");
  menu.replaceChildren();
  for (const command of state.commands) {
    const item = document.createElement("button");
    item.type = "button";
    const name = document.createElement("span");
    name.className = "command";
    name.textContent = `/${command.command}`;
    const description = document.createElement("span");
    description.className = "description";
    description.textContent = command.description;
    item.append(name, description);
    item.addEventListener("click", () => { closeMenus(); sendText(`/${command.command}`); });
    menu.appendChild(item);
  }
  if (!state.commands.length) {
    const none = document.createElement("button");
    none.type = "button";
    none.textContent = "/start";
    none.addEventListener("click", () => { closeMenus(); sendText("/start"); });
    menu.appendChild(none);
  }
  $("attach-menu").hidden = true;
  menu.hidden = !menu.hidden;
}

async function upload(kind, input) {
  const file = input.files[0];
  input.value = "";
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  await post(kind, form, true);
}

function choose(user) {
  if (state.poll) state.poll.abort();
  state.user = user;
  state.version = -1;
  state.shown.clear();
  chat.querySelectorAll(".message, .refused").forEach((element) => element.remove());
  replyKeyboard(null);
  const url = new URL(window.location.href);
  url.searchParams.set("rep", user);
  window.history.replaceState(null, "", url);
  follow(user);
}

async function start() {
  const answer = await fetch("/api/users");
  const about = await answer.json();
  $("bot-name").textContent = about.bot.name;
  document.title = `${about.bot.name}: try it`;
  const picker = $("rep");
  for (const user of about.users) {
    state.languages[user.id] = user.language;
    const option = document.createElement("option");
    option.value = user.id;
    option.textContent = `${user.name} (${user.language})`;
    picker.appendChild(option);
  }
  const wanted = new URLSearchParams(window.location.search).get("rep");
  if (wanted && about.users.some((user) => String(user.id) === wanted)) picker.value = wanted;
  picker.addEventListener("change", () => choose(picker.value));
  choose(picker.value);
}

const input = $("text");
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("send").click();
  }
});
input.addEventListener("input", () => {
  input.style.height = "auto";
  input.style.height = `${input.scrollHeight}px`;
});
$("send").addEventListener("click", async () => {
  const text = input.value;
  if (!text.trim()) return;
  input.value = "";
  input.style.height = "auto";
  await sendText(text);
  input.focus();
});
$("menu-button").addEventListener("click", showCommands);
$("attach-button").addEventListener("click", () => {
  $("commands").hidden = true;
  $("attach-menu").hidden = !$("attach-menu").hidden;
});
$("attach-document").addEventListener("click", () => { closeMenus(); $("document-input").click(); });
$("attach-photo").addEventListener("click", () => { closeMenus(); $("photo-input").click(); });
$("attach-contact").addEventListener("click", () => openForm("contact-form"));
$("attach-location").addEventListener("click", () => openForm("location-form"));
$("location-cancel").addEventListener("click", () => { $("location-form").hidden = true; });
$("location").addEventListener("submit", async (event) => {
  event.preventDefault();
  const [latitude, longitude] = event.target.elements.place.value.split(",").map(Number);
  $("location-form").hidden = true;
  await post("location", { latitude, longitude });
});
$("document-input").addEventListener("change", (event) => upload("document", event.target));
$("photo-input").addEventListener("change", (event) => upload("photo", event.target));
$("contact-cancel").addEventListener("click", () => { $("contact-form").hidden = true; });
$("contact").addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = event.target.elements;
  $("contact-form").hidden = true;
  await post("contact", {
    first_name: fields.first_name.value, last_name: fields.last_name.value, phone: fields.phone.value,
  });
});
$("alert-ok").addEventListener("click", () => { $("alert").hidden = true; });
document.addEventListener("click", (event) => {
  if (!event.target.closest(".menu, #menu-button, #attach-button")) closeMenus();
});

start();

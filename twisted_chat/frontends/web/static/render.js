// Building the DOM for what the server said.
//
// Every string that came from the network goes in with textContent (or as
// an attribute value), never as markup: a message "<img onerror=...>" is
// shown as those characters.  Nothing here keeps state.

import { fold, nickColorIndex } from "./names.js";
import { RANK_PREFIXES } from "./rooms.js";

/** An element with a class and, optionally, text. */
export function element(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

/** A message time: hours and minutes, the full date on hover. */
export function timeElement(milliseconds) {
  const date = new Date(typeof milliseconds === "number" ? milliseconds : Date.now());
  const node = element("time", "time", timeFormat.format(date));
  node.dateTime = date.toISOString();
  node.title = dateTimeFormat.format(date);
  return node;
}

/** A nick in its colour (the terminal client's), bold if it is you. */
export function nickElement(nick, me) {
  const node = element("span", `nick nick-${nickColorIndex(nick)}`, nick);
  if (me && fold(nick) === fold(me)) node.classList.add("own");
  if (fold(nick) === "server") node.classList.add("operator");
  node.dataset.nick = nick;
  return node;
}

const NICK_CHARACTER = /[A-Za-z0-9_\-[\]\\`^{|}]/;

/** Whether text names you as a word (case as the server folds it). */
export function mentions(text, me) {
  if (!me) return false;
  const haystack = fold(text);
  const needle = fold(me);
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
    const before = at === 0 ? "" : haystack[at - 1];
    const after = haystack[at + needle.length] ?? "";
    if (!NICK_CHARACTER.test(before) && !NICK_CHARACTER.test(after)) return true;
  }
  return false;
}

/** A room message or action (RoomMessage), numbered for ordering and dedupe. */
export function roomMessageEntry(message, me) {
  const entry = element("li", "entry message");
  entry.dataset.seq = String(message.sequence);
  entry.append(timeElement(message.time), " ");
  if (message.action) {
    entry.classList.add("action");
    entry.append("* ", nickElement(message.sender, me), " ");
  } else {
    entry.append(element("span", "open", "<"), nickElement(message.sender, me), element("span", "close", ">"), " ");
  }
  entry.append(element("span", "text", message.text));
  if (message.history) entry.classList.add("history");
  if (fold(message.sender) !== fold(me ?? "") && mentions(message.text, me)) {
    entry.classList.add("mention");
  }
  return entry;
}

/** A private message, yours or theirs. */
export function privateEntry(message, me) {
  const entry = element("li", "entry message private");
  entry.append(timeElement(message.time), " ");
  entry.append(element("span", "open", "<"), nickElement(message.sender, me), element("span", "close", ">"), " ");
  entry.append(element("span", "text", message.text));
  if (message.offline) {
    entry.classList.add("offline");
    entry.append(" ", element("span", "note", "(sent while you were away)"));
  }
  return entry;
}

/**
 * A line about what happened (joins, departures, topic, ranks...): parts
 * are strings (set as text) or nodes built here.
 */
export function eventEntry(kind, time, parts) {
  const entry = element("li", `entry event ${kind}`);
  entry.append(timeElement(time), " ");
  const body = element("span", "text");
  body.append(...parts);
  entry.append(body);
  return entry;
}

/** A line from the server itself: notices, help, errors, account news. */
export function serverEntry(kind, text) {
  const entry = element("li", `entry server ${kind}`);
  entry.append(element("span", "text", text));
  return entry;
}

/** A marker in the flow of messages: where a gap is, or was filled. */
export function markerEntry(kind, text, sequence = null) {
  const entry = element("li", `marker ${kind}`);
  entry.setAttribute("role", "separator");
  entry.append(element("span", "text", text));
  if (sequence !== null) entry.dataset.before = String(sequence);
  return entry;
}

/** One room of the answer to "List rooms", with a button to join it. */
export function roomListEntry(room, count, topic, onJoin) {
  const entry = element("li", "entry server room-entry");
  const button = element("button", "link", room);
  button.type = "button";
  button.addEventListener("click", () => onJoin(room));
  entry.append(button, ` (${count}) `, element("span", "text", topic));
  return entry;
}

/** The button for a conversation in the side list, with its unread count. */
export function conversationButton(conversation, isCurrent, onSelect) {
  const item = element("li");
  const button = element("button", "conversation");
  button.type = "button";
  button.dataset.key = conversation.key;
  button.append(element("span", "name", conversation.name));
  if (conversation.isRoom && !conversation.joined) button.classList.add("left");
  if (conversation.unread > 0) {
    const badge = element("span", "badge", String(conversation.unread));
    badge.title = `${conversation.unread} unread`;
    if (conversation.mentioned) badge.classList.add("mention");
    button.append(badge);
  }
  if (isCurrent) button.setAttribute("aria-current", "true");
  button.addEventListener("click", () => onSelect(conversation));
  item.append(button);
  return item;
}

/** A member with the prefix of their rank (~ @ +). */
export function memberItem(member, me, onSelect) {
  const item = element("li");
  const button = element("button", "member");
  button.type = "button";
  button.title = `Talk privately with ${member.nick}`;
  button.append(element("span", "rank", RANK_PREFIXES[member.rank] ?? ""), nickElement(member.nick, me));
  button.addEventListener("click", () => onSelect(member.nick));
  item.append(button);
  return item;
}

function duration(seconds) {
  const parts = [
    [Math.floor(seconds / 86400), "d"],
    [Math.floor((seconds % 86400) / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "min"],
    [seconds % 60, "s"],
  ];
  const shown = parts.filter(([count]) => count).slice(0, 2);
  return shown.map(([count, unit]) => `${count} ${unit}`).join(" ") || "0 s";
}

// One of /stats' figures as a person reads it: the name says the unit
// (uptime-seconds, store-bytes, commit-p99-ms); "-" or an unknown figure
// is shown as it came.
export function describeFigure(name, value) {
  if (!/^[0-9]{1,18}(\.[0-9]{1,6})?$/.test(value)) {
    return `${name}: ${value}`;
  }
  const number = Number(value);
  if (name.endsWith("-seconds")) {
    return `${name.slice(0, -8)}: ${duration(Math.floor(number))}`;
  }
  if (name.endsWith("-bytes")) {
    return `${name.slice(0, -6)}: ${(number / 2 ** 20).toFixed(1)} MiB`;
  }
  if (name.endsWith("-ms")) {
    return `${name.slice(0, -3)}: ${value} ms`;
  }
  return `${name}: ${value}`;
}

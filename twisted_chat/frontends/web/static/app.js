// The page's entry point: finds the fixed elements, wires the forms and
// the keyboard to the chat session (chat.js), and switches between the
// sign-in form and the chat.

import { Chat } from "./chat.js";
import { Notifier } from "./notify.js";
import { socketURL } from "./socket.js";

const $ = (id) => document.getElementById(id);

const page = {
  signin: $("signin"),
  signinForm: $("signin-form"),
  signinNick: $("signin-nick"),
  signinPassword: $("signin-password"),
  signinError: $("signin-error"),
  chat: $("chat"),
  compose: $("compose"),
  composeForm: $("compose-form"),
  goto: $("goto"),
  gotoForm: $("goto-form"),
  toggleRooms: $("toggle-rooms"),
  toggleMembers: $("toggle-members"),
};

const chat = new Chat(
  socketURL(location),
  {
    logs: $("logs"),
    status: $("status"),
    whoami: $("whoami"),
    viewTitle: $("view-title"),
    viewTopic: $("view-topic"),
    roomList: $("room-list"),
    peopleList: $("people-list"),
    memberList: $("member-list"),
    memberCount: $("member-count"),
    toggleUnread: $("toggle-unread"),
    leave: $("leave"),
    chat: $("chat"),
    membersPanel: $("members-panel"),
    toggleMembers: $("toggle-members"),
    // A conversation was picked from a list: on a phone, the list folds
    // away and the message box takes the keyboard.
    onPicked: () => {
      showPanel(null);
      page.compose.focus();
    },
  },
  {
    onSignedIn() {
      page.signin.hidden = true;
      page.chat.hidden = false;
      page.compose.focus();
    },
    onSignInFailed(text, stillTrying) {
      page.signinError.textContent = text;
      setSigningIn(stillTrying);
    },
    onEnded() {
      page.compose.disabled = true;
    },
  },
  new Notifier($("notify")),
);

// -- signing in ---------------------------------------------------------------

function setSigningIn(busy) {
  for (const button of page.signinForm.querySelectorAll("button")) button.disabled = busy;
}

page.signinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const mode = event.submitter?.value ?? "guest";
  const nick = page.signinNick.value.trim();
  const password = page.signinPassword.value;
  if (!nick) {
    page.signinError.textContent = "Choose a nick.";
    page.signinNick.focus();
    return;
  }
  if (mode !== "guest" && !password) {
    page.signinError.textContent = "Type your password to log in or register.";
    page.signinPassword.focus();
    return;
  }
  page.signinError.textContent = "Connecting…";
  setSigningIn(true);
  // A guest sends no password: keep none.
  chat.start({ mode, nick, password: mode === "guest" ? "" : password });
  page.signinPassword.value = "";
});

// -- talking -----------------------------------------------------------------------

// What was typed, for Up and Down to bring back, as in the terminal client.
const recall = { lines: [], at: 0 };

page.composeForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const line = page.compose.value;
  if (!chat.typed(line)) return;
  if (line.trim()) recall.lines.push(line);
  recall.at = recall.lines.length;
  page.compose.value = "";
});

page.compose.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
  if (recall.lines.length === 0) return;
  event.preventDefault();
  recall.at = Math.max(0, Math.min(recall.lines.length, recall.at + (event.key === "ArrowUp" ? -1 : 1)));
  page.compose.value = recall.lines[recall.at] ?? "";
});

page.gotoForm.addEventListener("submit", (event) => {
  event.preventDefault();
  chat.goTo(page.goto.value);
  page.goto.value = "";
  showPanel(null);
  page.compose.focus();
});

$("list-rooms").addEventListener("click", () => chat.listRooms());
$("leave").addEventListener("click", () => {
  chat.leaveShown();
  page.compose.focus();
});

// -- the keyboard -----------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  if (page.chat.hidden) return;
  if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    event.preventDefault();
    chat.step(event.key === "ArrowUp" ? -1 : 1);
    return;
  }
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
    // The browser's own Ctrl+K (search) gives way to "join or switch".
    event.preventDefault();
    showPanel("sidebar");
    page.goto.focus();
    page.goto.select();
    return;
  }
  if (event.key === "Escape") {
    showPanel(null);
    if (document.activeElement === page.goto) page.compose.focus();
  }
});

// -- narrow screens: the room list and the members fold away ---------------------------

function showPanel(name) {
  page.chat.classList.toggle("show-sidebar", name === "sidebar");
  page.chat.classList.toggle("show-members", name === "members");
  page.toggleRooms.setAttribute("aria-expanded", String(name === "sidebar"));
  page.toggleMembers.setAttribute("aria-expanded", String(name === "members"));
}

// Opening a panel takes the keyboard into it, so that Tab walks its list
// rather than the header behind it.
page.toggleRooms.addEventListener("click", () => {
  const opening = !page.chat.classList.contains("show-sidebar");
  showPanel(opening ? "sidebar" : null);
  if (opening) ($("sidebar").querySelector("[aria-current=true]") ?? page.goto).focus();
});
page.toggleMembers.addEventListener("click", () => {
  const opening = !page.chat.classList.contains("show-members");
  showPanel(opening ? "members" : null);
  if (opening) $("member-list").querySelector("button")?.focus();
});

page.signinNick.focus();

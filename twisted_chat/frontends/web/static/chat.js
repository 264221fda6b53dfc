// The chat session: signing in, the events the server sends, what the
// person does, and coming back after the connection drops.
//
// It owns the conversations' state (rooms.js) and their logs (log.js), and
// draws through render.js; app.js gives it the page's fixed elements and
// wires the keyboard and forms to it.

import { accountChange, readLine } from "./commands.js";
import { ConversationLog } from "./log.js";
import { fold, isRoomName } from "./names.js";
import {
  conversationButton,
  describeFigure,
  element,
  eventEntry,
  markerEntry,
  memberItem,
  mentions,
  nickElement,
  privateEntry,
  roomListEntry,
  roomMessageEntry,
  serverEntry,
} from "./render.js";
import { Conversations, RANK_BY_NAME } from "./rooms.js";
import { ChatSocket } from "./socket.js";

/** Goodbyes after which the page comes back (docs/PROTOCOL.md, BYE). */
const RECONNECT_AFTER = new Set(["shutdown", "error", "timeout", "slow"]);
const PAGE_SIZE = 50;
const PAGE_MAX = 500; // the server's HISTORY_PAGE_MAX
const FIRST_ROOM = "#lobby";
/** How a change of rank reads: "alice gave bob voice". */
const RANK_WORDS = {
  founder: ["made", " the founder"],
  operator: ["made", " an operator"],
  voice: ["gave", " voice"],
  member: ["made", " a plain member"],
};

export class Chat {
  /**
   * @param url the WebSocket's URL.
   * @param dom the page's fixed elements (see app.js).
   * @param callbacks onSignedIn(), onSignInFailed(text), onEnded(text).
   * @param notifier desktop notifications (notify.js).
   */
  constructor(url, dom, callbacks, notifier) {
    this.dom = dom;
    this.callbacks = callbacks;
    this.notifier = notifier;
    this.conversations = new Conversations();
    this.logs = new Map(); // conversation key -> ConversationLog
    this.current = null;
    this.lastRoom = null;
    this.me = null;
    this.credentials = null;
    this.phase = "idle"; // connecting, arriving, resuming, ready, ended
    this.awaiting = null; // what the sign-in waits for: nick, login, register-nick, register
    // A typed /login, /register or /password not yet answered: kept to log
    // in with after a reconnection once the server has taken it.
    this.pendingAccount = null;
    this.signedInOnce = false;
    this.resumePending = [];
    this.caughtUp = 0;
    this.lostAt = null;
    this.serverLog = new ConversationLog("Server", () => {});
    this.serverLog.setBeginning(true, "Messages from the server.");
    dom.logs.append(this.serverLog.root);
    this.serverLog.show();
    this.socket = new ChatSocket(url, {
      onOpen: () => this.setStatus("Connected; signing in…"),
      onEvent: (event) => this.handle(event),
      onClose: (wasOpen) => this.connectionLost(wasOpen),
      onRetry: (delay) => this.retrying(delay),
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden && this.current !== null) this.markRead(this.current);
    });
  }

  /** Sign in: {mode: guest|login|register, nick, password}, kept in memory only. */
  start(credentials) {
    this.credentials = { ...credentials };
    this.phase = "connecting";
    this.socket.start();
  }

  // -- the connection ------------------------------------------------------

  handle(event) {
    if (this.phase === "ended") return; // what was on its way as the page gave up
    const handler = this[`on${event.event}`];
    if (typeof handler === "function") handler.call(this, event);
  }

  send(command) {
    return this.socket.send(command);
  }

  connectionLost(wasOpen) {
    if (this.phase === "ended") return;
    if (this.lostAt === null && this.signedInOnce) this.lostAt = Date.now();
    this.awaiting = null;
    this.resumePending = [];
    for (const room of this.conversations.rooms()) {
      // Pages asked for on the lost connection will not come.
      if (room.loadingOlder) this.logFor(room).setLoading(false);
      room.loadingOlder = false;
      room.pages = [];
    }
    if (wasOpen && this.signedInOnce) this.setStatus("Connection lost; reconnecting…", "warning");
    this.phase = "connecting";
  }

  retrying(delay) {
    const seconds = Math.max(1, Math.round(delay / 1000));
    const text = this.signedInOnce
      ? `Connection lost; reconnecting in ${seconds} s…`
      : `Cannot reach the server; trying again in ${seconds} s…`;
    this.setStatus(text, "warning", { label: "Retry now", action: () => this.socket.retryNow() });
    if (!this.signedInOnce) this.callbacks.onSignInFailed(text, true);
  }

  onPing(event) {
    // The server's own liveness check, for when nothing else was said.
    this.send({ command: "Pong", token: event.token });
  }

  // -- signing in, and in again ---------------------------------------------

  onHello(event) {
    this.serverName = event.server;
    if (event.requireLogin && this.credentials.mode === "guest" && !this.signedInOnce) {
      this.signInRefused("This server takes no guests: log in, or register a nick first.");
    }
  }

  onWelcome(event) {
    this.me = event.nick;
    this.phase = "arriving";
    const { mode, nick, password } = this.credentials;
    if (mode === "login") {
      this.awaiting = "login";
      this.send({ command: "Login", nick, password });
    } else if (fold(nick) !== fold(this.me)) {
      this.awaiting = mode === "register" ? "register-nick" : "nick";
      this.send({ command: "SetNick", nick });
    } else if (mode === "register") {
      this.awaiting = "register";
      this.send({ command: "Register", password });
    } else {
      this.signedIn();
    }
  }

  signedIn() {
    this.awaiting = null;
    this.socket.settled();
    this.showWhoami();
    if (!this.signedInOnce) {
      this.signedInOnce = true;
      this.phase = "ready";
      this.setStatus(`Signed in as ${this.me}.`);
      this.callbacks.onSignedIn();
      this.send({ command: "Join", room: FIRST_ROOM });
      return;
    }
    // Back after a drop: each room from the last message seen there, the
    // one shown last, so that its replay's end means everything is in.
    const rooms = this.conversations.rooms().filter((c) => c.joined);
    rooms.sort((a, b) => (a === this.current) - (b === this.current));
    this.phase = "resuming";
    this.caughtUp = 0;
    this.resumePending = rooms.map((room) => room.key);
    for (const room of rooms) {
      this.send({ command: "Resume", room: room.name, after: room.lastSequence });
    }
    if (rooms.length === 0) this.resumed();
  }

  resumed() {
    this.phase = "ready";
    const seconds = this.lostAt === null ? 0 : (Date.now() - this.lostAt) / 1000;
    const rooms = this.conversations.rooms().filter((c) => c.joined).length;
    this.lostAt = null;
    this.setStatus(
      `Reconnected after ${seconds.toFixed(1)} s; caught up ${this.caughtUp} ` +
        `message${this.caughtUp === 1 ? "" : "s"} in ${rooms} room${rooms === 1 ? "" : "s"}.`,
    );
  }

  /** The server refused a sign-in step: say so, where the person can act on it. */
  signInRefused(text) {
    if (!this.signedInOnce) {
      this.phase = "ended";
      this.socket.stop();
      this.callbacks.onSignInFailed(text, false);
      return;
    }
    if (this.awaiting === "nick") {
      // A guest whose nick was taken while away goes on under the one given.
      this.serverLine("error", `Could not take your nick back: ${text}`);
      this.signedIn();
      return;
    }
    this.end(`Could not log in again: ${text}`);
  }

  end(text) {
    this.phase = "ended";
    this.socket.stop();
    this.setStatus(text, "error", { label: "Sign in again", action: () => location.reload() });
    this.callbacks.onEnded(text);
  }

  onAccountInfo(event) {
    this.me = event.nick;
    if (this.awaiting === "login" || this.awaiting === "register") {
      // Registered: from now on a reconnection logs in.
      this.credentials.mode = "login";
      this.credentials.nick = event.nick;
      this.serverLine("account", event.text);
      this.signedIn();
      return;
    }
    if (this.pendingAccount?.login || this.pendingAccount?.register) {
      const password = this.pendingAccount.login?.password ?? this.pendingAccount.register;
      this.credentials = { mode: "login", nick: event.nick, password };
      this.pendingAccount = null;
    }
    this.showWhoami();
    this.serverLine("account", event.text);
  }

  onErrorReply(event) {
    const text = event.text ?? event.message ?? event.code;
    if (this.phase === "arriving" && this.awaiting !== null) {
      this.signInRefused(text);
      return;
    }
    if (this.phase === "resuming" && this.resumePending.length > 0) {
      // Resumes are answered in order: this one refused its room (a ban
      // set while away, say); the others go on.
      const key = this.resumePending.shift();
      const room = this.conversations.get(key);
      if (room !== undefined) {
        room.joined = false;
        this.logFor(room).append(serverEntry("error", `Could not rejoin ${room.name}: ${text}`));
        this.renderLists();
      }
      if (this.resumePending.length === 0) this.resumed();
      return;
    }
    this.pendingAccount = null; // refused, most likely; not worth keeping either way
    this.serverLine("error", text);
  }

  onGoodbye(event) {
    if (RECONNECT_AFTER.has(event.kind)) {
      this.setStatus(`The server is closing the connection (${event.reason}); will reconnect.`, "warning");
      return;
    }
    this.end(`Disconnected: ${event.reason || event.kind}`);
  }

  // -- people and rooms -----------------------------------------------------

  isMe(nick) {
    return this.me !== null && fold(nick) === fold(this.me);
  }

  onNickChanged(event) {
    const mine = this.isMe(event.old);
    if (mine) {
      this.me = event.new;
      this.showWhoami();
    }
    const text = mine ? `You are now ${event.new}` : `${event.old} is now ${event.new}`;
    for (const room of this.conversations.rooms()) {
      if (room.renameMember(event.old, event.new)) {
        this.logFor(room).append(eventEntry("nick", event.time, [text]));
      }
    }
    const talk = this.conversations.get(event.old);
    if (talk !== undefined && !talk.isRoom) {
      const log = this.logs.get(talk.key);
      this.conversations.rename(event.old, event.new);
      if (log !== undefined) {
        this.logs.delete(fold(event.old));
        this.logs.set(talk.key, log);
        log.append(eventEntry("nick", event.time, [text]));
      }
      if (talk === this.current) this.showHeader();
    }
    if (this.awaiting === "nick" && mine && fold(event.new) === fold(this.credentials.nick)) {
      this.signedIn();
    } else if (this.awaiting === "register-nick" && mine) {
      this.awaiting = "register";
      this.send({ command: "Register", password: this.credentials.password });
    }
    this.renderLists();
    this.renderMembers();
  }

  onJoined(event) {
    const room = this.conversations.ensure(event.room);
    room.name = event.room;
    if (this.isMe(event.nick)) {
      room.joined = true;
      room.members.clear();
      if (this.phase !== "resuming") {
        this.logFor(room).append(eventEntry("join", event.time, [`You joined ${event.room}`]));
      }
    } else {
      room.addMember(event.nick);
      this.logFor(room).append(
        eventEntry("join", event.time, ["→ ", nickElement(event.nick, this.me), ` joined ${event.room}`]),
      );
    }
    this.renderLists();
    if (room === this.current) {
      this.showHeader();
      this.renderMembers();
    }
  }

  onParted(event) {
    const room = this.conversations.get(event.room);
    if (room === undefined) return;
    if (this.isMe(event.nick)) {
      this.close(room);
      return;
    }
    room.removeMember(event.nick);
    const reason = event.reason ? ` (${event.reason})` : "";
    this.logFor(room).append(
      eventEntry("part", event.time, ["← ", nickElement(event.nick, this.me), ` left${reason}`]),
    );
    if (room === this.current) this.renderMembers();
  }

  onQuit(event) {
    const reason = event.reason ? ` (${event.reason})` : "";
    for (const room of this.conversations.rooms()) {
      if (room.removeMember(event.nick)) {
        this.logFor(room).append(
          eventEntry("quit", event.time, ["← ", nickElement(event.nick, this.me), ` quit${reason}`]),
        );
      }
    }
    this.renderMembers();
  }

  onKicked(event) {
    const room = this.conversations.get(event.room);
    if (room === undefined) return;
    const reason = event.reason ? ` (${event.reason})` : "";
    room.removeMember(event.nick);
    this.logFor(room).append(
      eventEntry("kick", event.time, [
        nickElement(event.nick, this.me),
        " was put out by ",
        nickElement(event.by, this.me),
        reason,
      ]),
    );
    if (this.isMe(event.nick)) {
      room.joined = false;
      room.members.clear();
      this.renderLists();
      if (room === this.current) this.showHeader();
    }
    this.renderMembers();
  }

  onMemberList(event) {
    const room = this.conversations.ensure(event.room);
    room.setMembers(event.nicks, event.ranks ?? []);
    if (room === this.current) this.renderMembers();
  }

  onRankChanged(event) {
    const room = this.conversations.get(event.room);
    if (room === undefined) return;
    room.setRank(event.nick, RANK_BY_NAME[event.rank] ?? 0);
    const [verb, what] = RANK_WORDS[event.rank] ?? ["made", ` ${event.rank}`];
    this.logFor(room).append(
      eventEntry("rank", event.time, [
        nickElement(event.by, this.me),
        ` ${verb} `,
        nickElement(event.nick, this.me),
        what,
      ]),
    );
    if (room === this.current) this.renderMembers();
  }

  onTopicInfo(event) {
    const room = this.conversations.ensure(event.room);
    room.topic = event.text;
    if (event.text) {
      const by = event.nick ? [" (set by ", nickElement(event.nick, this.me), ")"] : [];
      this.logFor(room).append(eventEntry("topic", event.time, [`Topic: ${event.text}`, ...by]));
    }
    if (room === this.current) this.showHeader();
  }

  onTopicChanged(event) {
    const room = this.conversations.ensure(event.room);
    room.topic = event.text;
    this.logFor(room).append(
      eventEntry("topic", event.time, [nickElement(event.nick, this.me), ` set the topic: ${event.text}`]),
    );
    if (room === this.current) this.showHeader();
  }

  onCurrentRoom(event) {
    // The server moves you to a room you joined, or off one you left; while
    // resuming it names each room in turn, which is not the person's choice.
    if (this.phase !== "ready" || event.room === null) return;
    const room = this.conversations.get(event.room);
    if (room !== undefined && room.joined) this.select(room);
  }

  // -- messages --------------------------------------------------------------

  onRoomMessage(event) {
    const room = this.conversations.ensure(event.room);
    if (!room.accept(event.sequence)) return; // seen already: a resume or page overlapping
    this.logFor(room).insertInOrder(roomMessageEntry(event, this.me), event.sequence);
    if (this.phase === "resuming") this.caughtUp += 1;
    if (!event.history || this.phase === "resuming") {
      const mentioned = !this.isMe(event.sender) && mentions(event.text, this.me);
      if (!this.isMe(event.sender)) this.arrived(room, mentioned, event.sender, event.text);
    }
    this.showOlderState(room);
  }

  onPrivateMessage(event) {
    const mine = this.isMe(event.sender);
    const talk = this.conversations.ensure(mine ? event.recipient : event.sender);
    this.logFor(talk).append(privateEntry(event, this.me));
    if (!mine) this.arrived(talk, true, event.sender, event.text);
    this.renderLists();
  }

  onHistoryGap(event) {
    const room = this.conversations.ensure(event.room);
    const range = `${event.first}-${event.last}`;
    if (room.gaps.has(range)) return; // a page reaching back to it again
    room.gaps.add(range);
    if (event.first <= 1) {
      // Retention has taken everything before: nothing older to load.
      room.atBeginning = true;
      room.beginning = `Older messages of ${room.name} are no longer kept.`;
    }
    const marker = markerEntry(
      "gap",
      `Messages ${event.first}–${event.last} are not shown: no longer kept, or too many to replay.`,
    );
    this.logFor(room).insertInOrder(marker, event.first - 0.5);
    this.showOlderState(room);
  }

  onMissed(event) {
    // The server left these out while the page was not reading fast enough:
    // fetch them, and mark where they went in.
    const room = this.conversations.ensure(event.room);
    const count = event.last - event.first + 1;
    const marker = markerEntry(
      "filled",
      `${count} message${count === 1 ? "" : "s"} missed while the connection was slow, filled in below.`,
    );
    this.logFor(room).insertInOrder(marker, event.first - 0.5);
    const asked = this.send({
      command: "History",
      room: room.name,
      before: event.last + 1,
      limit: Math.min(count, PAGE_MAX),
    });
    if (asked) room.pages.push("fill");
  }

  onHistoryEnd(event) {
    const room = this.conversations.ensure(event.room);
    if (event.kind === "page") {
      // A page the page asked for (or one typed with /history, not counted).
      if (room.pages.shift() === "older") {
        room.loadingOlder = false;
        if (event.count === 0) room.atBeginning = true;
        this.logFor(room).setLoading(false);
      }
    } else {
      room.caughtUpThrough(event.through);
      room.replayed = true;
      if (room.lowestSequence === null) {
        // Nothing replayed: the room is empty, or was kept from showing.
        if (event.through === 0) room.atBeginning = true;
        else room.lowestSequence = event.through + 1;
      }
    }
    this.showOlderState(room);
    if (event.kind === "resume" && this.phase === "resuming") {
      this.resumePending = this.resumePending.filter((key) => key !== room.key);
      if (this.resumePending.length === 0) this.resumed();
    }
  }

  /** Ask for the page before the oldest message shown, once at a time. */
  loadOlder(room) {
    if (room === null || !room.isRoom || room.loadingOlder || room.atBeginning) return;
    if (!room.replayed || room.lowestSequence === null || this.phase !== "ready") return;
    if (!this.send({ command: "History", room: room.name, before: room.lowestSequence, limit: PAGE_SIZE })) {
      return;
    }
    room.pages.push("older");
    room.loadingOlder = true;
    this.logFor(room).setLoading(true);
  }

  showOlderState(room) {
    const text = room.beginning ?? `This is the beginning of ${room.name}.`;
    this.logFor(room).setBeginning(room.atBeginning, text);
  }

  // -- what the server says to you --------------------------------------------

  onNotice(event) {
    // The answer to /password is a notice: the new one is the one to log in with.
    if (this.pendingAccount?.password && this.credentials.mode === "login") {
      this.credentials.password = this.pendingAccount.password;
      this.pendingAccount = null;
    }
    this.serverLine("notice", event.text);
  }

  onHelpText(event) {
    this.serverLine("help", event.text);
  }

  onAnnouncement(event) {
    this.serverLine("notice", `Announcement from ${event.by}: ${event.text}`);
  }

  onUserNotice(event) {
    const where = isRoomName(event.target) ? this.conversations.get(event.target) : null;
    const entry = eventEntry("user-notice", event.time, ["-", nickElement(event.sender, this.me), `- ${event.text}`]);
    if (where) this.logFor(where).append(entry);
    else this.currentLog().append(entry);
  }

  onInvited(event) {
    this.serverLine("notice", `${event.by} invited ${event.nick} to ${event.room}.`);
  }

  onModesChanged(event) {
    const room = this.conversations.get(event.room);
    const entry = eventEntry("mode", event.time, [nickElement(event.by, this.me), ` set modes ${event.modes}`]);
    (room ? this.logFor(room) : this.currentLog()).append(entry);
  }

  onRoomModes(event) {
    this.serverLine("notice", `${event.room} modes: ${event.modes}`);
  }

  onBanChanged(event) {
    const what = `${event.added ? "set" : "lifted"} a ${event.kind} on ${event.mask}`;
    const reason = event.reason ? ` (${event.reason})` : "";
    const room = this.conversations.get(event.room);
    const entry = eventEntry("ban", event.time, [nickElement(event.by, this.me), ` ${what}${reason}`]);
    (room ? this.logFor(room) : this.currentLog()).append(entry);
  }

  onBanListEntry(event) {
    const reason = event.reason ? ` (${event.reason})` : "";
    this.serverLine("notice", `${event.room} ${event.kind}: ${event.mask} by ${event.setBy}${reason}`);
  }

  onBanListEnd(event) {
    this.serverLine("notice", `${event.room}: ${event.count} ${event.kind}${event.count === 1 ? "" : "s"}.`);
  }

  onAuditLine(event) {
    const reason = event.reason ? ` (${event.reason})` : "";
    this.serverLine("notice", `#${event.id} ${event.actor} ${event.action} ${event.room} ${event.target}${reason}`);
  }

  onAuditEnd(event) {
    this.serverLine("notice", `${event.count} audit entries.`);
  }

  onStatistic(event) {
    this.serverLine("notice", describeFigure(event.name, event.value));
  }

  onStatisticsEnd(event) {
    this.serverLine("notice", `${event.count} figure${event.count === 1 ? "" : "s"}.`);
  }

  onRoomListEntry(event) {
    this.currentLog().append(
      roomListEntry(event.room, event.memberCount, event.topic, (room) => this.join(room)),
    );
  }

  onRoomListEnd(event) {
    this.serverLine("notice", `${event.count} room${event.count === 1 ? "" : "s"}.`);
  }

  onStatusMessage(event) {
    const room = this.conversations.get(event.room);
    if (room === undefined) return;
    this.logFor(room).append(
      eventEntry("status-message", event.time, [
        `[${event.rank}s] `,
        nickElement(event.sender, this.me),
        `: ${event.text}`,
      ]),
    );
  }

  // -- what the person does -----------------------------------------------------

  /** A line typed in the compose box; false keeps it there (not sent). */
  typed(line) {
    const room = this.current?.isRoom ? this.current : this.lastRoom;
    const outcome = readLine(line, this.current, room?.name ?? null);
    if (outcome === null) return true;
    if (outcome.error) {
      this.currentLog().append(serverEntry("error", outcome.error));
      return false;
    }
    if (outcome.local === "more") {
      this.loadOlder(this.current);
      return true;
    }
    if (outcome.local === "query") {
      this.query(outcome.argument);
      return true;
    }
    if (outcome.local === "close") {
      this.leaveShown();
      return true;
    }
    if (outcome.send.command === "Typed") {
      this.pendingAccount = accountChange(outcome.send.line) ?? this.pendingAccount;
    }
    if (!this.send(outcome.send)) {
      this.currentLog().append(serverEntry("error", "Not connected: your line is kept; send it once reconnected."));
      return false;
    }
    return true;
  }

  /** Leave the room shown (the server's Parted takes it off), or close a private one. */
  leaveShown() {
    const shown = this.current;
    if (shown === null) return;
    if (shown.isRoom && shown.joined) this.send({ command: "Part", room: shown.name, reason: "" });
    else this.close(shown);
  }

  /** Join a room, or show it if already in it. */
  join(name) {
    const room = this.conversations.get(name);
    if (room !== undefined && room.joined) {
      this.select(room);
      return;
    }
    this.send({ command: "Join", room: name });
  }

  /** Open (or show) a private conversation with a nick. */
  query(nick) {
    if (isRoomName(nick) || this.isMe(nick)) return;
    const talk = this.conversations.ensure(nick);
    this.logFor(talk);
    this.select(talk);
  }

  /** "Join or switch": a room name joins or shows it, a nick opens a conversation. */
  goTo(name) {
    const target = name.trim();
    if (!target) return;
    if (isRoomName(target)) this.join(target);
    else this.query(target);
  }

  listRooms() {
    this.send({ command: "ListRooms" });
  }

  /** Take a conversation off the page (after leaving a room, or closing a private one). */
  close(conversation) {
    const ordered = this.conversations.ordered();
    const at = ordered.indexOf(conversation);
    this.conversations.remove(conversation.name);
    this.logs.get(conversation.key)?.root.remove();
    this.logs.delete(conversation.key);
    if (this.lastRoom === conversation) this.lastRoom = null;
    if (this.current === conversation) {
      const rest = this.conversations.ordered();
      this.current = null;
      this.select(rest[Math.min(at, rest.length - 1)] ?? null);
    }
    this.renderLists();
  }

  /** Move through the conversations: -1 up, +1 down (Alt+Up/Down). */
  step(direction) {
    const ordered = this.conversations.ordered();
    if (ordered.length === 0) return;
    const at = ordered.indexOf(this.current);
    const next = at === -1 ? 0 : (at + direction + ordered.length) % ordered.length;
    this.select(ordered[next]);
  }

  select(conversation) {
    if (this.current !== null && this.current !== conversation) this.logs.get(this.current.key)?.hide();
    this.serverLog.hide();
    this.current = conversation;
    if (conversation === null) {
      this.serverLog.show();
    } else {
      if (conversation.isRoom) this.lastRoom = conversation;
      this.logFor(conversation).show();
      this.markRead(conversation);
    }
    this.showHeader();
    this.renderLists();
    this.renderMembers();
  }

  markRead(conversation) {
    conversation.unread = 0;
    conversation.mentioned = false;
    this.renderLists();
  }

  /** Something new in a conversation: count it unless it is being read, and maybe notify. */
  arrived(conversation, important, sender, text) {
    const reading = conversation === this.current && !document.hidden;
    if (!reading) {
      conversation.unread += 1;
      if (important) conversation.mentioned = true;
      this.renderLists();
    }
    if (important && (document.hidden || conversation !== this.current)) {
      const title = conversation.isRoom ? `${sender} in ${conversation.name}` : sender;
      this.notifier.notify(title, text, () => this.select(conversation));
    }
  }

  // -- drawing --------------------------------------------------------------------

  logFor(conversation) {
    let log = this.logs.get(conversation.key);
    if (log === undefined) {
      log = new ConversationLog(conversation.name, () => this.loadOlder(conversation));
      if (!conversation.isRoom) log.setBeginning(true, `Private conversation with ${conversation.name}.`);
      this.logs.set(conversation.key, log);
      this.dom.logs.append(log.root);
      this.renderLists();
    }
    return log;
  }

  currentLog() {
    return this.current === null ? this.serverLog : this.logFor(this.current);
  }

  serverLine(kind, text) {
    this.currentLog().append(serverEntry(kind, text));
  }

  setStatus(text, kind = "info", button = null) {
    const status = this.dom.status;
    status.replaceChildren(element("span", "", text));
    status.className = `status ${kind}`;
    if (button !== null) {
      const action = element("button", "link", button.label);
      action.type = "button";
      action.addEventListener("click", button.action);
      status.append(" ", action);
    }
  }

  showWhoami() {
    const account = this.credentials?.mode === "login" ? " (logged in)" : "";
    this.dom.whoami.replaceChildren("You are ", nickElement(this.me ?? "", this.me), account);
  }

  showHeader() {
    const conversation = this.current;
    this.dom.viewTitle.textContent = conversation === null ? "twisted_chat" : conversation.name;
    this.dom.viewTopic.textContent = conversation?.isRoom ? conversation.topic : "";
    // A private conversation has no member list: the messages take its place.
    const members = conversation?.isRoom ?? false;
    this.dom.membersPanel.hidden = !members;
    this.dom.toggleMembers.hidden = !members;
    this.dom.chat.classList.toggle("no-members", !members);
    this.dom.leave.hidden = conversation === null;
    this.dom.leave.textContent = conversation?.isRoom && conversation.joined ? "Leave" : "Close";
    this.dom.leave.title = conversation === null ? "" : `${this.dom.leave.textContent} ${conversation.name}`;
    this.updateTitle();
  }

  updateTitle() {
    const unread = this.conversations.totalUnread();
    const where = this.current === null ? "" : `${this.current.name} — `;
    document.title = `${unread > 0 ? `(${unread}) ` : ""}${where}twisted_chat`;
    this.dom.toggleUnread.hidden = unread === 0;
    this.dom.toggleUnread.textContent = String(unread);
  }

  renderLists() {
    const select = (conversation) => {
      this.select(conversation);
      this.dom.onPicked();
    };
    this.dom.roomList.replaceChildren(
      ...this.conversations.rooms().map((c) => conversationButton(c, c === this.current, select)),
    );
    this.dom.peopleList.replaceChildren(
      ...this.conversations.people().map((c) => conversationButton(c, c === this.current, select)),
    );
    this.updateTitle();
  }

  renderMembers() {
    const room = this.current;
    const members = room?.isRoom ? room.sortedMembers() : [];
    this.dom.memberCount.textContent = room?.isRoom ? `(${members.length})` : "";
    this.dom.memberList.replaceChildren(
      ...members.map((member) =>
        memberItem(member, this.me, (nick) => {
          this.query(nick);
          this.dom.onPicked();
        }),
      ),
    );
  }
}

// The scrolling list of one conversation: entries kept in the order of
// their room sequence numbers, whenever they arrive, and the scroll
// position kept where the reader left it.
//
// Live messages and events are appended; a history page or a filled gap
// goes in among what is shown, by number, without moving what the reader
// is looking at.  Scrolling to the top asks for the page before.

import { element } from "./render.js";

const NEAR_TOP = 48; // pixels from the top that count as "scrolled to the top"
const NEAR_BOTTOM = 24; // ... and from the bottom, as "following the conversation"

export class ConversationLog {
  /**
   * @param label the conversation's name, for screen readers.
   * @param onWantOlder called when the reader reaches the top.
   */
  constructor(label, onWantOlder) {
    this.root = element("section", "log");
    this.root.setAttribute("role", "log");
    this.root.setAttribute("aria-label", label);
    // Focusable, so that the keyboard can scroll it (Page Up reaches older pages).
    this.root.tabIndex = 0;
    this.root.hidden = true;
    this.older = element("button", "older", "Load older messages");
    this.older.type = "button";
    this.older.addEventListener("click", onWantOlder);
    this.list = element("ol", "entries");
    this.root.append(this.older, this.list);
    this.following = true;
    this.highestOrder = -Infinity;
    this.anchor = null; // [entry, offset] held while a page is loading
    this.root.addEventListener("scroll", () => {
      this.following = this._atBottom();
      if (this.root.scrollTop < NEAR_TOP) onWantOlder();
    });
  }

  /** Say that the start of the conversation is shown, or that it is not (yet). */
  setBeginning(atBeginning, text = "This is the beginning of the conversation.") {
    this.older.disabled = atBeginning;
    this.older.textContent = atBeginning ? text : "Load older messages";
    this.older.classList.toggle("beginning", atBeginning);
  }

  /** A page of older messages is on its way (true) or has all come (false). */
  setLoading(loading) {
    this.anchor = loading && !this.root.hidden ? this._firstInSight() : null;
    if (!this.older.disabled) this.older.textContent = loading ? "Loading…" : "Load older messages";
    this.root.setAttribute("aria-busy", String(loading));
  }

  /** Add something that just happened, at the end. */
  append(entry) {
    this._keepingPlace(() => this.list.append(entry));
  }

  /**
   * Add an entry with a place in the room's order (a sequence number, or a
   * marker's place between two), after every entry with a lower one.
   */
  insertInOrder(entry, order) {
    entry.dataset.order = String(order);
    if (order > this.highestOrder) {
      this.highestOrder = order;
      this.append(entry);
      return;
    }
    // Right after the last entry before it in the room's order; older than
    // all shown, it was said before everything here (the lines about
    // joining included), so it goes at the very top.
    let next = this.list.firstElementChild;
    for (const child of this.list.children) {
      if (child.dataset.order === undefined) continue;
      if (Number(child.dataset.order) > order) break;
      next = child.nextElementSibling;
    }
    if (this.root.hidden || this.following) {
      this.list.insertBefore(entry, next);
      if (!this.root.hidden) this.scrollToEnd();
      return;
    }
    // Keep the reader's place: the entry they were looking at when the
    // page was asked for, or else the first entry in sight, stays where it
    // is on screen, as the browser's own scroll anchoring would (the CSS
    // turns that off: it does not act at the very top, where pages arrive).
    const [anchor, offset] = this.anchor ?? this._firstInSight();
    this.list.insertBefore(entry, next);
    if (anchor !== null) this.root.scrollTop = anchor.offsetTop - offset;
  }

  /** The first entry the reader sees, and how far down the view it is. */
  _firstInSight() {
    const top = this.root.scrollTop;
    for (const child of this.list.children) {
      if (child.offsetTop + child.offsetHeight > top) return [child, child.offsetTop - top];
    }
    return [null, 0];
  }

  show() {
    this.root.hidden = false;
    if (this.following) this.scrollToEnd();
  }

  hide() {
    this.root.hidden = true;
  }

  scrollToEnd() {
    this.root.scrollTop = this.root.scrollHeight;
  }

  _atBottom() {
    const root = this.root;
    return root.scrollHeight - root.scrollTop - root.clientHeight < NEAR_BOTTOM;
  }

  /** Add at the end, following the conversation if the reader was. */
  _keepingPlace(change) {
    const following = this.following;
    change();
    if (following && !this.root.hidden) this.scrollToEnd();
  }
}

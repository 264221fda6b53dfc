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

  setLoading(loading) {
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
    let next = null;
    for (const child of this.list.children) {
      if (child.dataset.order !== undefined && Number(child.dataset.order) > order) {
        next = child;
        break;
      }
    }
    if (this.root.hidden || this.following) {
      this.list.insertBefore(entry, next);
      if (!this.root.hidden) this.scrollToEnd();
      return;
    }
    // Older messages go in above what the reader is looking at: keep the
    // first entry in sight where it is on screen, as the browser's own
    // scroll anchoring would (the CSS turns that off: it does not act at
    // the very top, which is where pages arrive).
    const top = this.root.scrollTop;
    let anchor = null;
    for (const child of this.list.children) {
      if (child.offsetTop + child.offsetHeight > top) {
        anchor = child;
        break;
      }
    }
    const anchorTop = anchor === null ? 0 : anchor.offsetTop;
    this.list.insertBefore(entry, next);
    if (anchor !== null) this.root.scrollTop = top + (anchor.offsetTop - anchorTop);
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

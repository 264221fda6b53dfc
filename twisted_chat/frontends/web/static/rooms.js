// What the page knows of each conversation: rooms and private talks, their
// members, topic, unread count and which message numbers it has.
//
// No DOM here: render.js draws this state, app.js changes it as events come.

import { fold, isRoomName } from "./names.js";

/** Rank numbers (twisted_chat.chat.modes.Rank) and the prefixes the terminal shows. */
export const RANK_PREFIXES = ["", "+", "@", "~"];
export const RANK_BY_NAME = { member: 0, voice: 1, operator: 2, founder: 3 };

export class Conversation {
  constructor(name) {
    this.name = name;
    this.key = fold(name);
    this.isRoom = isRoomName(name);
    // Rooms: whether we are in it now (a kick leaves it listed, not joined).
    this.joined = false;
    this.topic = "";
    this.members = new Map(); // folded nick -> {nick, rank}
    // Sequence numbers shown, to drop any message seen twice (a resume
    // racing a live message, a history page overlapping what is shown).
    this.sequences = new Set();
    this.lastSequence = 0; // the newest seen or replayed through: what Resume starts after
    this.lowestSequence = null; // where the next History page ends
    this.loadingOlder = false;
    this.atBeginning = false;
    // What each History asked for is waiting on ("older" or "fill"), in the
    // order asked: the server answers in that order.
    this.pages = [];
    this.gaps = new Set(); // "first-last" of each gap marked, to mark it once
    this.unread = 0;
    this.mentioned = false;
  }

  /** Take a room message's number; false if it was already shown. */
  accept(sequence) {
    if (this.sequences.has(sequence)) return false;
    this.sequences.add(sequence);
    this.lastSequence = Math.max(this.lastSequence, sequence);
    if (this.lowestSequence === null || sequence < this.lowestSequence) {
      this.lowestSequence = sequence;
    }
    if (sequence === 1) this.atBeginning = true;
    return true;
  }

  /** A replay said everything up to C{through} has been sent. */
  caughtUpThrough(through) {
    this.lastSequence = Math.max(this.lastSequence, through);
  }

  setMembers(nicks, ranks) {
    this.members = new Map();
    nicks.forEach((nick, n) => this.members.set(fold(nick), { nick, rank: ranks[n] ?? 0 }));
  }

  addMember(nick, rank = 0) {
    this.members.set(fold(nick), { nick, rank });
  }

  removeMember(nick) {
    return this.members.delete(fold(nick));
  }

  hasMember(nick) {
    return this.members.has(fold(nick));
  }

  renameMember(oldNick, newNick) {
    const member = this.members.get(fold(oldNick));
    if (member === undefined) return false;
    this.members.delete(fold(oldNick));
    this.members.set(fold(newNick), { nick: newNick, rank: member.rank });
    return true;
  }

  setRank(nick, rank) {
    const member = this.members.get(fold(nick));
    if (member !== undefined) member.rank = rank;
  }

  /** Members by rank (highest first), then name, as a member list reads best. */
  sortedMembers() {
    return [...this.members.values()].sort(
      (a, b) => b.rank - a.rank || fold(a.nick).localeCompare(fold(b.nick)),
    );
  }
}

export class Conversations {
  constructor() {
    this.byKey = new Map();
  }

  get(name) {
    return this.byKey.get(fold(name));
  }

  ensure(name) {
    let conversation = this.get(name);
    if (conversation === undefined) {
      conversation = new Conversation(name);
      this.byKey.set(conversation.key, conversation);
    }
    return conversation;
  }

  remove(name) {
    this.byKey.delete(fold(name));
  }

  /** A private conversation follows its person's new nick. */
  rename(oldName, newName) {
    const conversation = this.get(oldName);
    if (conversation === undefined || this.get(newName) !== undefined) return conversation;
    this.byKey.delete(conversation.key);
    conversation.name = newName;
    conversation.key = fold(newName);
    this.byKey.set(conversation.key, conversation);
    return conversation;
  }

  rooms() {
    return [...this.byKey.values()].filter((c) => c.isRoom).sort(byName);
  }

  people() {
    return [...this.byKey.values()].filter((c) => !c.isRoom).sort(byName);
  }

  /** Rooms, then people: the order Alt+Up/Down walks. */
  ordered() {
    return [...this.rooms(), ...this.people()];
  }

  totalUnread() {
    let total = 0;
    for (const conversation of this.byKey.values()) total += conversation.unread;
    return total;
  }
}

function byName(a, b) {
  return a.key.localeCompare(b.key);
}

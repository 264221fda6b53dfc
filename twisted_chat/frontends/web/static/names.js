// Names as the server compares them, and each nick's colour.
//
// The rules mirror twisted_chat/chat/names.py (fold) and
// twisted_chat/terminal/view.py (nickColor), so that a nick has the same
// colour in the page as in the terminal client: colour = crc32 of the
// folded nick, UTF-8, modulo the size of the terminal's palette.

/** How many colours the terminal's NICK_COLORS has; style.css has as many classes. */
export const NICK_COLOR_COUNT = 10;

/** The form under which two names are the same: ASCII lower case, as the server's fold. */
export function fold(name) {
  // Names are ASCII; toLowerCase would also fold non-ASCII letters, which
  // the server does not, so only A-Z is touched.
  return name.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Whether a target names a room (rooms start with #, nicks never do). */
export function isRoomName(name) {
  return name.startsWith("#");
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** zlib.crc32 of some bytes, as Python computes it. */
export function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const encoder = new TextEncoder();

/** The index of C{nick}'s colour in the palette: the terminal client's choice. */
export function nickColorIndex(nick) {
  return crc32(encoder.encode(fold(nick))) % NICK_COLOR_COUNT;
}

/**
 * Masking of credentials in text shown to users (messages, logs, reports): the password of
 * every URL (`postgres://user:secret@host` -> `postgres://user:***@host`, any scheme) and
 * `password=` parameters (`?password=`, keyword DSNs). One definition for every command.
 */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s]*@/gi;
/** A bare value, or a quoted one (keyword DSNs: password='a b'). */
const PASSWORD_PARAM = /([?&;\s]password=)('[^']*'|"[^"]*"|[^&\s'"]*)/gi;

export function maskUrls(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1***@").replace(PASSWORD_PARAM, "$1***");
}

/**
 * Masks the credentials in a connection string, in every form a driver takes them: the password
 * of `scheme://user:password@host`, and `password=` / `sslpassword=` / `pwd=` parameters (URL
 * query or `key=value` keyword form, quoted or not). What is masked becomes `***`.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/(\/\/[^/?#@\s:]*:)[^\s/?#]*@/g, '$1***@')
    .replace(/(^|[?&;\s])((?:ssl)?pass(?:word)?|pwd|secret)=(?:'(?:[^'\\]|\\.)*'|[^&;\s]*)/gi, '$1$2=***')
}

/** `text` with every occurrence of a known secret (as written and URL-encoded) masked. */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 2) return text
  let out = text
  for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join('***')
  return out
}

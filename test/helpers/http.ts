/** Fetches JSON from a test server; test assertions check its shape. */
// biome-ignore lint/suspicious/noExplicitAny: responses are checked by the assertions that read them
export async function fetchJson(url: string, init?: RequestInit): Promise<any> {
  const response = await fetch(url, init)
  return response.json()
}

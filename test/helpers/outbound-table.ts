/**
 * The outbound guard's table: URLs an attacker would try, and what the guard must say of each
 * under the default policy (public addresses only). Shared by the guard's unit test and by the
 * integration test that runs it through webhook subscriptions, deliveries and flow actions.
 * Host names resolve through TEST_HOSTS (a test resolver), never real DNS.
 */
export const TEST_HOSTS: Record<string, string[]> = {
  'public.test': ['93.184.216.34'],
  'public6.test': ['2606:4700::1111'],
  'internal.test': ['10.1.2.3'],
  'metadata.test': ['169.254.169.254'],
  'mapped.test': ['::ffff:127.0.0.1'],
  // One public and one private address: refused (either could be the one connected to).
  'mixed.test': ['93.184.216.34', '192.168.0.10'],
  localhost: ['127.0.0.1', '::1'],
}

export type Expected = 'allowed' | 'PrivateAddress' | 'ForbiddenAddress' | 'InvalidUrl' | 'HostNotFound'

export const OUTBOUND_TABLE: readonly [url: string, expected: Expected][] = [
  // Public: allowed.
  ['https://93.184.216.34/hook', 'allowed'],
  ['https://8.8.8.8/', 'allowed'],
  ['https://[2606:4700::1111]/', 'allowed'],
  ['https://[::ffff:8.8.8.8]/', 'allowed'],
  ['https://[64:ff9b::808:808]/', 'allowed'],
  ['https://public.test/hook', 'allowed'],
  ['https://public6.test/hook', 'allowed'],
  // Loopback in every spelling.
  ['http://127.0.0.1/', 'PrivateAddress'],
  ['http://127.1/', 'PrivateAddress'],
  ['http://2130706433/', 'PrivateAddress'],
  ['http://0x7f000001/', 'PrivateAddress'],
  ['http://0177.0.0.1/', 'PrivateAddress'],
  ['http://0x7f.0.0.1/', 'PrivateAddress'],
  ['http://[::1]/', 'PrivateAddress'],
  ['http://[::ffff:127.0.0.1]/', 'PrivateAddress'],
  ['http://[::ffff:7f00:1]/', 'PrivateAddress'],
  ['http://[0:0:0:0:0:ffff:127.0.0.1]/', 'PrivateAddress'],
  ['http://[::127.0.0.1]/', 'PrivateAddress'],
  ['http://[64:ff9b::7f00:1]/', 'PrivateAddress'],
  ['http://[2002:7f00:1::]/', 'PrivateAddress'],
  ['http://localhost/', 'PrivateAddress'],
  ['http://mapped.test/', 'PrivateAddress'],
  // Private ranges.
  ['http://10.0.0.1/', 'PrivateAddress'],
  ['http://172.16.0.1/', 'PrivateAddress'],
  ['http://172.31.255.255/', 'PrivateAddress'],
  ['http://192.168.1.1/', 'PrivateAddress'],
  ['http://100.64.0.1/', 'PrivateAddress'],
  ['http://[fc00::1]/', 'PrivateAddress'],
  ['http://[fd12:3456::1]/', 'PrivateAddress'],
  ['http://[64:ff9b:1::a00:1]/', 'PrivateAddress'],
  ['http://240.0.0.1/', 'PrivateAddress'],
  ['http://internal.test/', 'PrivateAddress'],
  ['http://mixed.test/', 'PrivateAddress'],
  // Never: link-local and cloud metadata, unspecified, multicast, broadcast.
  ['http://169.254.169.254/latest/meta-data/', 'ForbiddenAddress'],
  ['http://[::ffff:169.254.169.254]/', 'ForbiddenAddress'],
  ['http://[64:ff9b::a9fe:a9fe]/', 'ForbiddenAddress'],
  ['http://[fe80::1]/', 'ForbiddenAddress'],
  ['http://[fd00:ec2::254]/', 'ForbiddenAddress'],
  ['http://100.100.100.200/', 'ForbiddenAddress'],
  ['http://metadata.test/', 'ForbiddenAddress'],
  ['http://0.0.0.0/', 'ForbiddenAddress'],
  ['http://0/', 'ForbiddenAddress'],
  ['http://[::]/', 'ForbiddenAddress'],
  ['http://224.0.0.1/', 'ForbiddenAddress'],
  ['http://255.255.255.255/', 'ForbiddenAddress'],
  // Not callable at all.
  ['ftp://93.184.216.34/', 'InvalidUrl'],
  ['file:///etc/passwd', 'InvalidUrl'],
  ['not a url', 'InvalidUrl'],
  ['http://no-such-host.test/', 'HostNotFound'],
]

/** A resolver over TEST_HOSTS (an unknown name does not resolve). */
export async function testResolver(hostname: string): Promise<{ address: string; family: number }[]> {
  const addresses = TEST_HOSTS[hostname.toLowerCase()]
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
}

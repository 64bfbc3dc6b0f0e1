/**
 * Which IP addresses the CA may connect to when it checks an HTTP file: only globally
 * reachable unicast ones. Everything in the IANA special-purpose registries that is not
 * globally reachable (RFC 6890 and its updates: loopback, private, shared, link-local,
 * documentation, benchmarking, multicast, unspecified, reserved, and the IPv6 forms that embed
 * an IPv4 address) is refused, so that a requester cannot point the CA at its own host or
 * network (server-side request forgery). Pure.
 */
import { BlockList, isIP } from 'node:net';

const V4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified (RFC 791, RFC 1122 §3.2.1.3)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback (RFC 1122)
  ['169.254.0.0', 16], // link-local, cloud metadata services (RFC 3927)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation TEST-NET-1 (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast, deprecated (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation TEST-NET-2 (RFC 5737)
  ['203.0.113.0', 24], // documentation TEST-NET-3 (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved, and the limited broadcast 255.255.255.255 (RFC 1112, RFC 919)
];

const V6_BLOCKED: readonly [string, number][] = [
  ['::', 128], // unspecified (RFC 4291 §2.5.2)
  ['::1', 128], // loopback (RFC 4291 §2.5.3)
  ['::ffff:0:0', 96], // IPv4-mapped (RFC 4291 §2.5.5.2): checked as the IPv4 address instead
  ['::', 96], // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)
  ['64:ff9b::', 96], // NAT64 well-known prefix (RFC 6052): reaches an IPv4 address by the back door
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 23], // IETF protocol assignments, Teredo included (RFC 2928, RFC 4380)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4 (RFC 3056): embeds an IPv4 address
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // segment routing SIDs (RFC 9602)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local (RFC 4291 §2.5.6)
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast (RFC 4291 §2.7)
];

/** One list per family: a BlockList compares an IPv4 address with its IPv6 rules as `::ffff:a.b.c.d`. */
function blockList(subnets: readonly [string, number][], family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of subnets) list.addSubnet(net, prefix, family);
  return list;
}

const BLOCKED_V4 = blockList(V4_BLOCKED, 'ipv4');
const BLOCKED_V6 = blockList(V6_BLOCKED, 'ipv6');

/**
 * Whether the CA may connect to `address` when checking a challenge: a globally reachable
 * unicast address. An IPv4-mapped IPv6 address is judged as its IPv4 address.
 * @returns false for anything that is not an IP address.
 * @example
 * isPublicAddress('93.184.215.14'); // true
 * isPublicAddress('169.254.169.254'); // false (link-local: cloud metadata)
 * isPublicAddress('::ffff:127.0.0.1'); // false
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped !== null) return isPublicAddress(mapped[1] as string);
  }
  return family === 4 ? !BLOCKED_V4.check(address, 'ipv4') : !BLOCKED_V6.check(address, 'ipv6');
}

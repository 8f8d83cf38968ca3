// IP allow/deny rules (access.allow / access.deny): CIDR matching for IPv4 and IPv6, deny wins,
// IPv4-mapped IPv6 addresses, and "deny when in doubt" for addresses that cannot be parsed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createIpRules } from '../../dist/access/index.js';

describe('createIpRules', () => {
  it('has no rules when neither list is given', () => {
    assert.equal(createIpRules(undefined, []), undefined);
  });

  const cases = [
    // [allow, deny, address, allowed, why]
    [['10.0.0.0/8'], [], '10.1.2.3', true, 'inside an allowed v4 block'],
    [['10.0.0.0/8'], [], '11.0.0.1', false, 'outside the allow list'],
    [['10.0.0.0/8'], [], '9.255.255.255', false, 'just below the block'],
    [['10.0.0.0/8'], ['10.0.0.13'], '10.0.0.13', false, 'deny wins over allow'],
    [['10.0.0.0/8'], ['10.0.0.13'], '10.0.0.14', true, 'neighbour of a denied address'],
    [undefined, ['192.168.0.0/16'], '192.168.4.4', false, 'deny list only: denied'],
    [undefined, ['192.168.0.0/16'], '8.8.8.8', true, 'deny list only: others pass'],
    [['203.0.113.7'], [], '203.0.113.7', true, 'single v4 address'],
    [['203.0.113.7'], [], '203.0.113.8', false, 'single v4 address, other'],
    [['0.0.0.0/0'], [], '198.51.100.1', true, '/0 allows all v4'],
    [['2001:db8::/32'], [], '2001:db8:1::1', true, 'inside an allowed v6 block'],
    [['2001:db8::/32'], [], '2001:db9::1', false, 'outside the v6 block'],
    [['2001:db8::/32'], [], '2001:0DB8:0000::0001', true, 'v6 written long and in capitals'],
    [['2001:db8::/32'], ['2001:db8:dead::/48'], '2001:db8:dead::5', false, 'v6 deny wins'],
    [['::1'], [], '::1', true, 'v6 loopback'],
    [['fe80::/10'], [], 'fe80::1%eth0', true, 'zone index ignored'],
    [['10.0.0.0/8'], [], '::ffff:10.9.9.9', true, 'IPv4-mapped IPv6 matches a v4 rule'],
    [['10.0.0.0/8'], [], '::ffff:a09:909', true, 'IPv4-mapped IPv6 in hex form matches a v4 rule'],
    [['10.0.0.0/8'], [], '::ffff:11.9.9.9', false, 'mapped address outside the v4 rule'],
    [undefined, ['10.0.0.13'], '::ffff:10.0.0.13', false, 'a mapped address cannot dodge a v4 deny'],
    [['::ffff:10.0.0.0/104'], [], '10.2.3.4', true, 'a mapped v6 rule matches a plain v4 address'],
    [['10.0.0.0/8'], [], 'not-an-ip', false, 'unparseable address denied (allow list)'],
    [undefined, ['10.0.0.0/8'], '', false, 'empty address denied (deny list only)'],
    [undefined, ['10.0.0.0/8'], '10.0.0.1, 11.0.0.1', false, 'a list is not an address'],
  ];
  for (const [allow, deny, address, expected, why] of cases) {
    it(`${why}: ${JSON.stringify(address)} → ${expected ? 'allowed' : 'denied'}`, () => {
      const rules = createIpRules(allow, deny);
      assert.equal(rules.allows(address), expected);
    });
  }
});

import { expect } from 'chai';
import { acrMeets, claimsMeet, groupsOf, inGroups, isAcrValue, recentEnough } from '../../../lib/core/claims.js';

describe('unit: core/claims', () => {
  it("acrMeets: the same class or a stronger one of Okta's; anything else only itself", () => {
    const table: Array<[unknown, string, boolean]> = [
      ['urn:okta:loa:2fa:any', 'urn:okta:loa:2fa:any', true],
      ['phr', 'urn:okta:loa:2fa:any', true],
      ['phrh', 'phr', true],
      ['urn:okta:loa:1fa:pwd', 'urn:okta:loa:2fa:any', false],
      ['urn:okta:loa:2fa:any:ifpossible', 'urn:okta:loa:2fa:any', false],
      ['urn:okta:loa:1fa:pwd', 'urn:okta:loa:2fa:any:ifpossible', true],
      ['urn:okta:loa:2fa:any', 'urn:okta:loa:1fa:pwd', false],
      ['urn:okta:loa:2fa:any', 'urn:okta:loa:1fa:any', true],
      ['phr', 'phrh', false],
      ['gold', 'gold', true],
      ['platinum', 'gold', false],
      ['urn:okta:loa:2fa:any', 'gold', false],
      [undefined, 'urn:okta:loa:1fa:any', false],
      [2, 'urn:okta:loa:1fa:any', false],
    ];
    for (const [actual, required, expected] of table) {
      expect(acrMeets(actual, required), `${String(actual)} meets ${required}`).to.equal(expected);
    }
  });

  it('recentEnough: within maxAge seconds of auth_time; fails closed without auth_time', () => {
    const now = 1_800_000_000_000;
    expect(recentEnough(now / 1000 - 299, 300, now)).to.equal(true);
    expect(recentEnough(now / 1000 - 301, 300, now)).to.equal(false);
    expect(recentEnough(undefined, 300, now)).to.equal(false);
    expect(recentEnough(undefined, undefined, now)).to.equal(true);
  });

  it('claimsMeet: values, list claims, predicates; a missing claim never meets', () => {
    const claims = { department: 'Finance', groups: ['Everyone', 'Finance'], level: 3, admin: false };
    expect(claimsMeet(claims, { department: 'Finance', level: 3 })).to.equal(true);
    expect(claimsMeet(claims, { admin: false })).to.equal(true);
    expect(claimsMeet(claims, { groups: 'Finance' })).to.equal(true);
    expect(claimsMeet(claims, { groups: ['Finance', 'Everyone'] })).to.equal(true);
    expect(claimsMeet(claims, { groups: ['Finance', 'Admins'] })).to.equal(false);
    expect(claimsMeet(claims, { department: ['Finance', 'Sales'] })).to.equal(false);
    expect(claimsMeet(claims, { level: '3' })).to.equal(false);
    expect(claimsMeet(claims, { missing: undefined })).to.equal(false);
    expect(claimsMeet(claims, (c) => c.level === 3)).to.equal(true);
    expect(claimsMeet(claims, () => 1 as unknown as boolean)).to.equal(false);
  });

  it('groupsOf / inGroups: string entries of the groups claim only', () => {
    expect(groupsOf({ groups: ['A', 2, null, 'B'] })).to.deep.equal(['A', 'B']);
    expect(groupsOf({ groups: 'A' })).to.deep.equal([]);
    expect(inGroups({ groups: ['A', 'B'] }, ['C', 'B'], false)).to.equal(true);
    expect(inGroups({ groups: ['A', 'B'] }, ['C', 'B'], true)).to.equal(false);
    expect(inGroups({}, ['A'], false)).to.equal(false);
  });

  it('isAcrValue: one header-safe value', () => {
    expect(isAcrValue('urn:okta:loa:2fa:any')).to.equal(true);
    for (const bad of ['', 'a b', 'a"b', 'a\\b', 'é', undefined, 3]) expect(isAcrValue(bad), String(bad)).to.equal(false);
  });
});

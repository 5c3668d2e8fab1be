/**
 * A private JSON Web Key (RFC 7517) for `private_key_jwt`, e.g. the one Okta's admin
 * console generates, or what `exportJWK()` of a key library gives. The package's own
 * type, so that the public declarations do not depend on a JOSE library's types.
 */
export interface PrivateJWK {
  /** Key type: `RSA`, `EC` or `OKP`. */
  kty?: string;
  /** The key id Okta knows the key by; sent as the assertion's `kid`. */
  kid?: string;
  /** The signing algorithm, e.g. `RS256` (the default when absent) or `ES256`. */
  alg?: string;
  use?: string;
  key_ops?: string[];
  ext?: boolean;
  /** EC and OKP members. */
  crv?: string;
  x?: string;
  y?: string;
  /** The private part (all key types). */
  d?: string;
  /** RSA members. */
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  [member: string]: unknown;
}

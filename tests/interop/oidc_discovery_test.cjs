// openid-client (npm; an independent OpenID Connect relying party) runs
// discovery against tokend's issuer, and a token tokend issued verifies
// through what it discovered (jwks_uri, issuer, algorithms) with `jose`.
// Usage: node oidc_discovery_test.cjs ISSUER_URL IAM_TOKEN
// openid-client 6 is ESM-only; Node >= 20.19 require()s it.
const client = require('openid-client');
const jose = require('jose');

// OpenID Connect Discovery 1.0 §3: token_endpoint is REQUIRED unless only
// the implicit flow is used, which response_types_supported = [id_token]
// says.
const REQUIRED = ['issuer', 'authorization_endpoint', 'jwks_uri',
                  'response_types_supported', 'subject_types_supported',
                  'id_token_signing_alg_values_supported'];

async function main() {
  const [base, token] = process.argv.slice(2);
  const issuer = new URL(base);
  const plain = issuer.protocol === 'http:';
  const options = plain ? {execute: [client.allowInsecureRequests]} : {};
  // Fetches <issuer>/.well-known/openid-configuration and checks that its
  // issuer is this URL.
  const config = await client.discovery(issuer, 'tokend-interop', undefined,
                                        undefined, options);
  const md = config.serverMetadata();
  for (const field of REQUIRED) {
    if (md[field] === undefined || md[field] === '' ||
        (Array.isArray(md[field]) && md[field].length === 0)) {
      throw new Error('discovery lacks ' + field + ': ' + JSON.stringify(md));
    }
  }
  if (!md.id_token_signing_alg_values_supported.includes('RS256')) {
    throw new Error('RS256 must be listed (§3): ' + JSON.stringify(md));
  }
  if (md.token_endpoint !== undefined ||
      JSON.stringify(md.response_types_supported) !== '["id_token"]') {
    throw new Error('token_endpoint without a code flow: ' + JSON.stringify(md));
  }
  if (!/^urn:/.test(md.authorization_endpoint)) {
    throw new Error('authorization_endpoint should say there is no browser ' +
                    'flow: ' + md.authorization_endpoint);
  }
  console.log('ok: openid-client discovery of ' + md.issuer);

  // Every advertised algorithm has a published key.
  const jwks = await (await fetch(md.jwks_uri)).json();
  for (const alg of md.id_token_signing_alg_values_supported) {
    if (!jwks.keys.some((k) => k.alg === alg)) {
      throw new Error('no published key for ' + alg);
    }
  }
  const {protectedHeader} = await jose.jwtVerify(
      token, jose.createRemoteJWKSet(new URL(md.jwks_uri)),
      {issuer: md.issuer, algorithms: md.id_token_signing_alg_values_supported});
  console.log('ok: a tokend ' + protectedHeader.alg +
              ' token verifies against the discovered jwks_uri');

  // No browser flow: whatever openid-client makes of the URN, it is no
  // http(s) page a user could be sent to.
  let refused = false;
  try {
    const url = client.buildAuthorizationUrl(config, {redirect_uri: base,
                                                     scope: 'openid'});
    refused = url.protocol !== 'https:' && url.protocol !== 'http:';
  } catch (e) {
    refused = true;
  }
  if (!refused) throw new Error('an authorization URL a browser could open');

  if (plain) {
    // Without the opt-in openid-client refuses plain HTTP: the test above is
    // not passing by accident.
    try {
      await client.discovery(issuer, 'tokend-interop');
      throw new Error('plain-HTTP discovery accepted without the opt-in');
    } catch (e) {
      if (e.code !== 'OAUTH_HTTP_REQUEST_FORBIDDEN') throw e;
    }
    console.log('ok: plain-HTTP discovery refused without allowInsecureRequests');
  }
}

main().catch((e) => {
  console.error('FAIL: openid-client: ' + (e.stack || e));
  process.exit(1);
});

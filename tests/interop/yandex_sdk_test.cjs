// Issue 16: Yandex Cloud's own Node.js SDK (@yandex-cloud/nodejs-sdk from
// npm) against tokend over TLS. Its Session obtains IAM tokens itself —
// from an authorized key file (a PS256 JWT to IamTokenService.Create, as
// the SDK builds it) and from an OAuth token — and with them the service
// account manages its own keys through KeyService, and waitForOperation
// polls OperationService.Get. Every assertion is on what the SDK returns.
//
// Usage: node yandex_sdk_test.cjs GRPC_ADDR KEY_FILE OAUTH_TOKEN OTHER_SA_ID
//   GRPC_ADDR    127.0.0.1:PORT, tokend's TLS gRPC port; the test CA comes
//                from GRPC_DEFAULT_SSL_ROOTS_FILE_PATH (read by grpc-js)
//   KEY_FILE     the service account's authorized key file (tokenctl)
//   OAUTH_TOKEN  an OAuth token (a user account's, with the same id)
//   OTHER_SA_ID  another account, whose keys it must not touch
'use strict';

const fs = require('fs');
const path = require('path');

const [addr, keyFile, oauthToken, otherAccount] = process.argv.slice(2);

// The SDK resolves every service, its own token client included, from this
// map, which has no option: point the services tokend serves at it.
const sdkDist = path.dirname(require.resolve('@yandex-cloud/nodejs-sdk'));
const endpoints = require(path.join(sdkDist, 'service-endpoints-map.json'));
for (const name of ['yandex.cloud.iam.v1.IamTokenService',
                    'yandex.cloud.iam.v1.KeyService',
                    'yandex.cloud.operation.OperationService']) {
  if (!(name in endpoints)) throw new Error('the SDK no longer maps ' + name);
  endpoints[name] = addr;
}

const {Session, waitForOperation} = require('@yandex-cloud/nodejs-sdk');
const {keyService, key: keyPb} = require('@yandex-cloud/nodejs-sdk/iam-v1');
const {KeyServiceClient, ListKeysRequest, CreateKeyRequest, GetKeyRequest,
       DeleteKeyRequest, DeleteKeyMetadata} = keyService;

function expect(cond, what, detail) {
  if (!cond) {
    throw new Error(what + (detail === undefined ? '' : '\n      got: ' +
        (typeof detail === 'string' ? detail : JSON.stringify(detail))));
  }
}
const ok = (what) => console.log('ok: ' + what);

// The SDK rethrows a failed call as its ApiError, which has no `code`
// (errors/api-error.js): its message carries the status name.
async function expectCode(what, promise, name) {
  try {
    await promise;
  } catch (e) {
    expect(new RegExp(`\\b${name}: `).test(String(e.message)),
           `${what} -> ${name}`, String(e.message));
    return;
  }
  throw new Error(`${what} succeeded; expected ${name}`);
}

async function main() {
  // The authorized key file as tokenctl (and `yc iam key create`) writes
  // it; the SDK takes the same fields in camelCase.
  const file = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  const account = file.service_account_id;
  const session = new Session({
    serviceAccountJson: {serviceAccountId: account, accessKeyId: file.id,
                         privateKey: file.private_key},
    pollInterval: 100,
  });
  const keys = session.client(KeyServiceClient);

  const listed = await keys.list(ListKeysRequest.fromPartial({serviceAccountId: account}));
  expect(listed.keys.length === 1 && listed.keys[0].id === file.id &&
         listed.keys[0].serviceAccountId === account,
         'list: the key file\'s own key', listed.keys);
  ok('Session({serviceAccountJson}) -> KeyService.list of its own keys');

  // No serviceAccountId: Yandex means the caller's own account.
  const created = await keys.create(CreateKeyRequest.fromPartial({
    description: 'made through the SDK', keyAlgorithm: keyPb.Key_Algorithm.RSA_4096}));
  expect(created.key.serviceAccountId === account &&
         created.key.keyAlgorithm === keyPb.Key_Algorithm.RSA_4096 &&
         created.key.description === 'made through the SDK' &&
         /BEGIN PRIVATE KEY/.test(created.privateKey) &&
         created.key.createdAt instanceof Date,
         'create without serviceAccountId -> a key of its own', created.key);
  const got = await keys.get(GetKeyRequest.fromPartial({keyId: created.key.id}));
  expect(got.id === created.key.id && /BEGIN PUBLIC KEY/.test(got.publicKey),
         'get the new key', got);
  ok('KeyService.create (no serviceAccountId: its own account), get');

  // Delete returns an operation; the SDK's waitForOperation polls
  // OperationService.Get for it.
  const op = await keys.delete(DeleteKeyRequest.fromPartial({keyId: created.key.id}));
  expect(op.done === true && op.id, 'delete -> a done Operation', op);
  expect(DeleteKeyMetadata.decode(op.metadata.value).keyId === created.key.id,
         'delete metadata names the key');
  const waited = await waitForOperation(op, session, 10_000);
  expect(waited.id === op.id && waited.done === true && !waited.error &&
         waited.response.typeUrl === 'type.googleapis.com/google.protobuf.Empty',
         'waitForOperation -> done, response Empty', waited);
  const after = await keys.list(ListKeysRequest.fromPartial({serviceAccountId: account}));
  expect(after.keys.length === 1, 'the deleted key is gone', after.keys);
  ok('KeyService.delete + waitForOperation (OperationService.Get)');

  await expectCode('list another account\'s keys',
                   keys.list(ListKeysRequest.fromPartial({serviceAccountId: otherAccount})),
                   'PERMISSION_DENIED');
  await expectCode('create a key for another account',
                   keys.create(CreateKeyRequest.fromPartial({serviceAccountId: otherAccount})),
                   'PERMISSION_DENIED');
  ok('another account\'s keys -> PERMISSION_DENIED');

  // An OAuth token stands for a user account (Yandex Passport's): the
  // SDK exchanges it for an IAM token before every call, and tokend, which
  // grants user accounts no roles, answers with a clean PERMISSION_DENIED —
  // not UNAUTHENTICATED, so the exchange itself worked.
  const oauth = new Session({oauthToken});
  await expectCode('Session({oauthToken}) KeyService.list',
                   oauth.client(KeyServiceClient).list(
                       ListKeysRequest.fromPartial({serviceAccountId: account})),
                   'PERMISSION_DENIED');
  await expectCode('Session({oauthToken: bogus}) KeyService.list',
                   new Session({oauthToken: 'y0_bogus'}).client(KeyServiceClient)
                       .list(ListKeysRequest.fromPartial({})),
                   'UNAUTHENTICATED');
  ok('Session({oauthToken}) -> IAM token exchanged; a user account may not ' +
     'manage keys (PERMISSION_DENIED); a bad OAuth token -> UNAUTHENTICATED');
}

main().then(() => process.exit(0), (e) => {
  console.error('FAIL: yandex sdk: ' + (e && e.stack || e));
  process.exit(1);
});

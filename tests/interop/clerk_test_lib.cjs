// What the @clerk/backend interop scripts share: failing with what was
// expected and what came, and describing what the SDK threw.
'use strict';

const {isClerkAPIResponseError} = require('@clerk/backend/errors');

class Failure extends Error {}

function expect(cond, what, detail) {
  if (!cond) {
    throw new Failure(what + (detail === undefined ? '' :
      '\n      got: ' + (typeof detail === 'string' ? detail : JSON.stringify(detail))));
  }
}

function describe(e) {
  if (isClerkAPIResponseError(e)) {
    return `ClerkAPIResponseError status=${e.status} message=${JSON.stringify(e.message)} ` +
      `errors=${JSON.stringify(e.errors)} clerkTraceId=${e.clerkTraceId}`;
  }
  return String(e && e.stack || e);
}

const ok = (what) => console.log('ok: ' + what);

module.exports = {Failure, expect, describe, ok, isClerkAPIResponseError};

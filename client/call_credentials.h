// TokenCallCredentials: gRPC call credentials that add
// `authorization: Bearer <token>` to every call, the token from a
// TokenSource. The source is asked on every call: give it a
// CachingTokenSource, or every call costs a token RPC.
//
//   auto source = std::make_shared<CachingTokenSource>(
//       *IamKeyFileSource::FromFile("key.json", tokend_channel));
//   auto channel = CreateTokenChannel(target, grpc::SslCredentials(ssl));
//   context.set_credentials(TokenCallCredentials(source));
//
// Transport security (gRPC 1.51, checked in tests/client). gRPC hands call
// credentials only to channels of security level privacy-and-integrity:
// TLS (grpc::SslCredentials), or grpc::experimental::LocalCredentials
// (LOCAL_TCP or UDS), which speaks plaintext HTTP/2 (so it reaches tokend's
// plaintext listener) but connects only to loopback addresses or Unix
// sockets. Over grpc::InsecureChannelCredentials() every call fails
// UNAUTHENTICATED "Established channel does not have a sufficient security
// level to transfer call credential." before the source is asked. We keep
// that floor: a bearer token must not cross a network in the clear.
//
// Failures. If the source fails (or yields a token that cannot be a header
// value), the call fails before it is sent. gRPC 1.51 turns any failing
// credentials plugin into UNAVAILABLE "Getting metadata from plugin failed
// with error: tokend token source: <CODE>: <message>" — the wrong code for
// a credentials problem, and one that invites retries. Channels from
// CreateTokenChannel (or with TokenErrorInterceptorFactory() among their
// interceptors) report it as UNAUTHENTICATED "tokend token source: <CODE>:
// <message>" instead.
//
// The source's own channel must not carry these credentials: fetching a
// token would then need a token.
#ifndef TOKEND_CLIENT_CALL_CREDENTIALS_H_
#define TOKEND_CLIENT_CALL_CREDENTIALS_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_interceptor.h>

#include <memory>
#include <string>

#include "client/token_source.h"

namespace tokend::client {

// `source` must not be null. `options` go to every GetToken (e.g. the JWT
// template name of a session token).
std::shared_ptr<grpc::CallCredentials> TokenCallCredentials(
    std::shared_ptr<TokenSource> source, GetTokenOptions options = {});

// Rewrites the status of a call whose TokenCallCredentials failed to
// UNAUTHENTICATED "tokend token source: …"; other calls pass untouched.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
TokenErrorInterceptorFactory();

// grpc::CreateCustomChannel with TokenErrorInterceptorFactory().
std::shared_ptr<grpc::Channel> CreateTokenChannel(
    const std::string& target,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_CALL_CREDENTIALS_H_

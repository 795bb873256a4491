// The Clerk-compatible sessions surface (DESIGN §2.2, §2.6): session tokens
// (BAPI with a sessions API key, FAPI with the session's client token), and
// the users, sessions and JWT templates behind them. Errors carry Clerk's
// codes as reasons (core/common/error_reason.h); the gateway renders them in
// Clerk's shape because the services declare ERROR_STYLE_CLERK.
#ifndef TOKEND_SERVER_SESSION_SERVICES_H_
#define TOKEND_SERVER_SESSION_SERVICES_H_

#include "core/common/clock.h"
#include "core/keys/sealer.h"
#include "core/sessions/authorized_parties.h"
#include "core/sessions/client_handshake.h"
#include "core/sessions/session_tokens.h"
#include "core/store/jwt_template_store.h"
#include "core/store/session_store.h"
#include "core/store/user_store.h"
#include "server/keyring_service.h"
#include "server/policy/call_guard.h"
#include "tokend/sessions/v1/services.grpc.pb.h"

namespace tokend::server {

struct SessionDeps {
  store::UserStore* users = nullptr;
  store::SessionStore* sessions = nullptr;
  store::JwtTemplateStore* templates = nullptr;
  const Clock* clock = nullptr;
  const keys::Sealer* sealer = nullptr;
  sessions::SessionTokenIssuer* issuer = nullptr;
  CallGuard* guard = nullptr;
  KeyringServiceImpl* keyring_service = nullptr;  // for GET /v1/jwks
  // --allowed_origins: the azp of session tokens.
  const sessions::AuthorizedParties* parties = nullptr;
  const sessions::ClientHandshake* handshake = nullptr;
};

class SessionTokenServiceImpl final
    : public tokend::sessions::v1::SessionTokenService::CallbackService {
 public:
  explicit SessionTokenServiceImpl(SessionDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* CreateSessionToken(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateSessionTokenRequest* request,
      tokend::sessions::v1::Token* response) override;
  grpc::ServerUnaryReactor* HandshakeClient(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::HandshakeClientRequest* request,
      tokend::sessions::v1::HandshakeRedirect* response) override;
  grpc::ServerUnaryReactor* CreateSessionTokenFromTemplate(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateSessionTokenFromTemplateRequest*
          request,
      tokend::sessions::v1::Token* response) override;
  grpc::ServerUnaryReactor* CreateClientSessionToken(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateClientSessionTokenRequest* request,
      tokend::sessions::v1::Token* response) override;
  grpc::ServerUnaryReactor* CreateClientSessionTokenFromTemplate(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateClientSessionTokenFromTemplateRequest*
          request,
      tokend::sessions::v1::Token* response) override;
  grpc::ServerUnaryReactor* CreateServiceToken(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateServiceTokenRequest* request,
      tokend::sessions::v1::Token* response) override;
  grpc::ServerUnaryReactor* GetJwks(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::GetSessionJwksRequest* request,
      tokend::keys::v1::Jwks* response) override;

 private:
  SessionDeps deps_;
};

class UserServiceImpl final
    : public tokend::sessions::v1::UserService::CallbackService {
 public:
  explicit UserServiceImpl(SessionDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* CreateUser(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateUserRequest* request,
      tokend::sessions::v1::User* response) override;
  grpc::ServerUnaryReactor* GetUser(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::GetUserRequest* request,
      tokend::sessions::v1::User* response) override;
  grpc::ServerUnaryReactor* DeleteUser(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::DeleteUserRequest* request,
      tokend::sessions::v1::DeletedObject* response) override;
  grpc::ServerUnaryReactor* ListUsers(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::ListUsersRequest* request,
      tokend::sessions::v1::ListUsersResponse* response) override;
  grpc::ServerUnaryReactor* CountUsers(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::ListUsersRequest* request,
      tokend::sessions::v1::TotalCount* response) override;
  grpc::ServerUnaryReactor* UpdateUser(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::UpdateUserRequest* request,
      tokend::sessions::v1::User* response) override;
  grpc::ServerUnaryReactor* UpdateUserMetadata(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::UserMetadataRequest* request,
      tokend::sessions::v1::User* response) override;
  grpc::ServerUnaryReactor* ReplaceUserMetadata(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::UserMetadataRequest* request,
      tokend::sessions::v1::User* response) override;

 private:
  SessionDeps deps_;
};

class SessionServiceImpl final
    : public tokend::sessions::v1::SessionService::CallbackService {
 public:
  explicit SessionServiceImpl(SessionDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* CreateSession(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateSessionRequest* request,
      tokend::sessions::v1::Session* response) override;
  grpc::ServerUnaryReactor* GetSession(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::GetSessionRequest* request,
      tokend::sessions::v1::Session* response) override;
  grpc::ServerUnaryReactor* ListSessions(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::ListSessionsRequest* request,
      tokend::sessions::v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* RevokeSession(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::RevokeSessionRequest* request,
      tokend::sessions::v1::Session* response) override;

 private:
  SessionDeps deps_;
};

class JwtTemplateServiceImpl final
    : public tokend::sessions::v1::JwtTemplateService::CallbackService {
 public:
  explicit JwtTemplateServiceImpl(SessionDeps deps) : deps_(deps) {}

  grpc::ServerUnaryReactor* CreateJwtTemplate(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::CreateJwtTemplateRequest* request,
      tokend::sessions::v1::JwtTemplate* response) override;
  grpc::ServerUnaryReactor* GetJwtTemplate(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::GetJwtTemplateRequest* request,
      tokend::sessions::v1::JwtTemplate* response) override;
  grpc::ServerUnaryReactor* ListJwtTemplates(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::ListJwtTemplatesRequest* request,
      tokend::sessions::v1::ListJwtTemplatesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateJwtTemplate(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::UpdateJwtTemplateRequest* request,
      tokend::sessions::v1::JwtTemplate* response) override;
  grpc::ServerUnaryReactor* DeleteJwtTemplate(
      grpc::CallbackServerContext* context,
      const tokend::sessions::v1::DeleteJwtTemplateRequest* request,
      tokend::sessions::v1::DeletedObject* response) override;

 private:
  SessionDeps deps_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_SESSION_SERVICES_H_

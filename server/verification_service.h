// tokend.verify.v1.VerificationService: adapts Verify to core/verify.
#ifndef TOKEND_SERVER_VERIFICATION_SERVICE_H_
#define TOKEND_SERVER_VERIFICATION_SERVICE_H_

#include "core/verify/token_verifier.h"
#include "server/policy/call_guard.h"
#include "tokend/verify/v1/verification.grpc.pb.h"

namespace tokend::server {

class VerificationServiceImpl final
    : public tokend::verify::v1::VerificationService::CallbackService {
 public:
  VerificationServiceImpl(const verify::TokenVerifier* verifier,
                          CallGuard* guard)
      : verifier_(verifier), guard_(guard) {}

  grpc::ServerUnaryReactor* Verify(
      grpc::CallbackServerContext* context,
      const tokend::verify::v1::VerifyRequest* request,
      tokend::verify::v1::VerifyResponse* response) override;

 private:
  const verify::TokenVerifier* verifier_;
  CallGuard* guard_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_VERIFICATION_SERVICE_H_

// JwtTemplateStore: named JWT templates (Clerk's). Contract:
// signing_key_store.h.
#ifndef TOKEND_CORE_STORE_JWT_TEMPLATE_STORE_H_
#define TOKEND_CORE_STORE_JWT_TEMPLATE_STORE_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/store/records.h"

namespace tokend::store {

class JwtTemplateStore {
 public:
  virtual ~JwtTemplateStore() = default;

  // AlreadyExists if the id or the name is taken.
  virtual absl::Status InsertJwtTemplate(const JwtTemplateRecord& rec) = 0;
  // NotFound if none.
  virtual absl::StatusOr<JwtTemplateRecord> GetJwtTemplate(
      absl::string_view id) = 0;
  // By exact name. NotFound if none.
  virtual absl::StatusOr<JwtTemplateRecord> FindJwtTemplateByName(
      absl::string_view name) = 0;
  // Every template, ordered by name (bytewise).
  virtual absl::StatusOr<std::vector<JwtTemplateRecord>> ListJwtTemplates() = 0;
  // Replaces every field of the template `rec.id` except created_at, which
  // is kept. NotFound if the id is unknown; AlreadyExists if `rec.name` is
  // another template's.
  virtual absl::Status UpdateJwtTemplate(const JwtTemplateRecord& rec) = 0;
  // Removes the template. NotFound if `id` is unknown.
  virtual absl::Status DeleteJwtTemplate(absl::string_view id) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_JWT_TEMPLATE_STORE_H_

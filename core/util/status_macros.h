// Early-return helpers for absl::Status and absl::StatusOr.
//
// Abseil 20220623 (Debian 12) ships Status and StatusOr but not its status
// macros, so Synesthesia keeps these two.
//
//   RETURN_IF_ERROR(WriteHeader(file));
//   ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::Load(path));
//   ASSIGN_OR_RETURN(auto tokens, tokenizer.Tokenize(text));
#ifndef SYNESTHESIA_CORE_UTIL_STATUS_MACROS_H_
#define SYNESTHESIA_CORE_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SYNESTHESIA_STATUS_CONCAT_INNER_(a, b) a##b
#define SYNESTHESIA_STATUS_CONCAT_(a, b) SYNESTHESIA_STATUS_CONCAT_INNER_(a, b)

// Evaluates EXPR (an absl::Status) and returns it from the calling function
// unless it is OK.
#define RETURN_IF_ERROR(expr)                                    \
  do {                                                           \
    ::absl::Status synesthesia_status_ = (expr);                 \
    if (!synesthesia_status_.ok()) return synesthesia_status_;   \
  } while (false)

// Evaluates EXPR (an absl::StatusOr<T>); on error returns its status from the
// calling function, otherwise moves the value into LHS, which may be a
// declaration ("auto x") or an existing variable.
#define ASSIGN_OR_RETURN(lhs, expr)                                          \
  SYNESTHESIA_ASSIGN_OR_RETURN_IMPL_(                                        \
      SYNESTHESIA_STATUS_CONCAT_(synesthesia_statusor_, __LINE__), lhs, expr)

#define SYNESTHESIA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                       \
  if (!statusor.ok()) return std::move(statusor).status();      \
  lhs = std::move(statusor).value()

#endif  // SYNESTHESIA_CORE_UTIL_STATUS_MACROS_H_

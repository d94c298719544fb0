// Helpers of the reliability tests: a spawned server with a known metrics
// port, raw stubs, /metrics scraping and the server's resident memory.
#ifndef SYNESTHESIA_TESTS_RELIABILITY_RELIABILITY_TESTING_H_
#define SYNESTHESIA_TESTS_RELIABILITY_RELIABILITY_TESTING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "synesthesia/v1/synesthesia.grpc.pb.h"
#include "tests/e2e/e2e_testing.h"

namespace synesthesia::testing {

// A synesthesia-server child process with its metrics on a loopback port of
// its own, started on a copy of distilbert-tiny with projections.
struct SpawnedServer {
  std::unique_ptr<ServerProcess> process;
  int metrics_port = 0;

  std::shared_ptr<grpc::Channel> NewChannel() const;
  std::unique_ptr<v1::Synesthesia::Stub> NewStub() const;
  // GET /metrics; empty when the request fails.
  std::string ScrapeMetrics() const;
  // The value of the sample SAMPLE (name with labels, as printed) in the
  // last scrape; -1 when it is absent.
  double Metric(const std::string& sample) const;
  // Polls Metric(SAMPLE) every 50 ms for up to TIMEOUT until it equals
  // VALUE; returns the last value seen.
  double AwaitMetric(const std::string& sample, double value, absl::Duration timeout) const;
  // VmRSS of the server process in KiB from /proc/PID/status; -1 when
  // unreadable.
  int64_t ResidentKib() const;
};

absl::StatusOr<SpawnedServer> SpawnServer(const std::vector<std::string>& extra_flags = {});

// Sends BYTES as the request of the unary METHOD
// ("/synesthesia.v1.Synesthesia/Colorize") without going through the
// generated message types, so that the bytes may hold invalid UTF-8.
grpc::Status CallRaw(grpc::Channel& channel, const std::string& method, const std::string& bytes,
                     absl::Duration timeout = absl::Seconds(60));

// Opens ColorizeStream, writes each of REQUESTS (serialized bytes), half-
// closes and returns the final status.
grpc::Status StreamRaw(grpc::Channel& channel, const std::vector<std::string>& requests,
                       absl::Duration timeout = absl::Seconds(60));

}  // namespace synesthesia::testing

#endif  // SYNESTHESIA_TESTS_RELIABILITY_RELIABILITY_TESTING_H_

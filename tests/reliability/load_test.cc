// Load and soak: a spawned server kept saturated with unary, batch and
// streaming calls for SYNESTHESIA_SOAK_SECONDS (default 20). Every call must
// succeed with the same result as before the load, and the server's resident
// memory may grow by less than 5% between the end of the warm-up and the
// end of the run.
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/reliability/reliability_testing.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using Stream = grpc::ClientReaderWriter<v1::ColorizeStreamRequest, v1::ColorizeStreamResponse>;

constexpr char kText[] = "A yellow banana beside the deep blue ocean under a red evening sky";
constexpr double kMaxResidentGrowth = 0.05;

absl::Duration SoakDuration() {
  const char* value = std::getenv("SYNESTHESIA_SOAK_SECONDS");
  int seconds = 20;
  if (value != nullptr && !absl::SimpleAtoi(value, &seconds)) {
    ADD_FAILURE() << "SYNESTHESIA_SOAK_SECONDS=" << value << " is not a whole number of seconds";
  }
  return absl::Seconds(seconds);
}

std::string Signature(const v1::ColorizeResponse& response) {
  std::string out;
  for (const v1::Span& span : response.spans()) absl::StrAppend(&out, span.text(), span.hex(), ";");
  return out;
}

struct Counters {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> wrong_results{0};
};

// One client thread: unary, batch and stream calls in turn until END.
void RunClient(const testing::SpawnedServer& server, int index, absl::Time end,
               const std::string& expected, Counters& counters) {
  auto stub = server.NewStub();
  for (int64_t i = 0; absl::Now() < end; ++i) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    grpc::Status status;
    switch ((index + i) % 3) {
      case 0: {
        v1::ColorizeRequest request;
        request.set_text(kText);
        v1::ColorizeResponse response;
        status = stub->Colorize(&context, request, &response);
        if (status.ok() && Signature(response) != expected) counters.wrong_results.fetch_add(1);
        break;
      }
      case 1: {
        v1::ColorizeBatchRequest request;
        for (int t = 0; t < 4; ++t) request.add_texts(kText);
        v1::ColorizeBatchResponse response;
        status = stub->ColorizeBatch(&context, request, &response);
        if (status.ok()) {
          for (const v1::ColorizeResponse& result : response.results()) {
            if (Signature(result) != expected) counters.wrong_results.fetch_add(1);
          }
        }
        break;
      }
      default: {
        std::unique_ptr<Stream> stream = stub->ColorizeStream(&context);
        v1::ColorizeStreamRequest request;
        request.set_message_id(absl::StrCat("m", i));
        request.set_delta(kText);
        request.set_final(true);
        stream->Write(request);
        stream->WritesDone();
        v1::ColorizeStreamResponse response;
        while (stream->Read(&response)) {
        }
        status = stream->Finish();
        break;
      }
    }
    counters.calls.fetch_add(1);
    if (!status.ok()) {
      counters.errors.fetch_add(1);
      ADD_FAILURE() << "call " << i << " of client " << index << ": code "
                    << status.error_code() << ": " << status.error_message();
    }
  }
}

TEST(Load, SaturatedServerKeepsResultsAndMemory) {
  ASSERT_OK_AND_ASSIGN(testing::SpawnedServer server, testing::SpawnServer());
  auto stub = server.NewStub();
  grpc::ClientContext reference_context;
  v1::ColorizeRequest request;
  request.set_text(kText);
  v1::ColorizeResponse reference;
  ASSERT_TRUE(stub->Colorize(&reference_context, request, &reference).ok());
  const std::string expected = Signature(reference);

  // Eight clients, each with one call in flight, keep the scheduler's queue
  // non-empty on the small machines the tests run on.
  constexpr int kClients = 8;
  const absl::Duration warm_up = absl::Seconds(5);
  const absl::Duration duration = SoakDuration();
  Counters counters;
  const absl::Time start = absl::Now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back(RunClient, std::cref(server), c, start + warm_up + duration,
                         std::cref(expected), std::ref(counters));
  }

  absl::SleepFor(warm_up);
  const int64_t resident_after_warm_up = server.ResidentKib();
  const int64_t calls_after_warm_up = counters.calls.load();
  for (std::thread& client : clients) client.join();
  const int64_t resident_at_end = server.ResidentKib();

  ASSERT_GT(resident_after_warm_up, 0);
  ASSERT_GT(resident_at_end, 0);
  const double growth = static_cast<double>(resident_at_end - resident_after_warm_up) /
                        static_cast<double>(resident_after_warm_up);
  // Shown with ctest --output-on-failure or -V, for the record.
  std::cout << "load: " << counters.calls.load() << " calls (" << calls_after_warm_up
            << " during warm-up), " << counters.errors.load() << " errors, resident memory "
            << resident_after_warm_up << " KiB after warm-up, " << resident_at_end
            << " KiB at the end (" << growth * 100 << "%)\n";
  EXPECT_EQ(counters.errors.load(), 0);
  EXPECT_EQ(counters.wrong_results.load(), 0);
  EXPECT_GT(counters.calls.load(), calls_after_warm_up);
  EXPECT_LT(growth, kMaxResidentGrowth);
  EXPECT_EQ(server.AwaitMetric("synesthesia_active_streams", 0, absl::Seconds(30)), 0);
  EXPECT_EQ(server.AwaitMetric("synesthesia_queued_tokens", 0, absl::Seconds(30)), 0);
}

}  // namespace
}  // namespace synesthesia

// The synesthesia CLI against a spawned synesthesia-server: colorize in every
// format, info, health, stream fed by a slow writer, bench, authentication,
// TLS, and the exit code of each failure.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_testing.h"
#include "tests/testing/model_fixtures.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using testing::CommandResult;
using testing::RunCli;

std::string Golden(const std::string& file) {
  return testing::ReadFileOrEmpty(testing::SourcePath("tests/e2e/golden/" + file));
}

// A server on the distilbert-tiny reference model, which has only pca.
class RemoteCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(server_,
                         testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny")));
  }

  std::vector<std::string> Remote(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, {"--server", server_->address()});
    return args;
  }

  std::unique_ptr<testing::ServerProcess> server_;
};

// Checked before connecting, so no server is needed.
TEST(RemoteCli, ServerWithoutValidPortIsAUsageError) {
  for (const std::string target : {"127.0.0.1:99999", "127.0.0.1", "127.0.0.1:0", "[::1]:x"}) {
    SCOPED_TRACE(target);
    ASSERT_OK_AND_ASSIGN(CommandResult result, RunCli({"colorize", "--server", target, "sea"}));
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_THAT(result.stderr_text, HasSubstr("--server '" + target + "' is not HOST:PORT"));
  }
}

TEST(RemoteCli, HealthWaitReportsWhyItCannotConnect) {
  const std::string target = absl::StrCat("127.0.0.1:", testing::UnusedLoopbackPort());
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli({"health", "--server", target, "--wait", "1s"}));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.stderr_text, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(result.stderr_text, HasSubstr("Connection refused"));
}

TEST_F(RemoteCliTest, ColorizeMatchesGoldenInEveryFormat) {
  for (const std::string name : {"accents", "emoji"}) {
    const std::string input = testing::SourcePath("tests/e2e/golden/" + name + ".txt");
    for (const std::string format : {"json", "plain", "html", "ansi"}) {
      SCOPED_TRACE(name + "." + format);
      ASSERT_OK_AND_ASSIGN(CommandResult result,
                           RunCli(Remote({"colorize", "--projection", "pca", "--format", format,
                                          "--color", "always", "--file", input})));
      ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
      EXPECT_EQ(result.stdout_text, Golden(name + "." + format));
    }
  }
}

TEST_F(RemoteCliTest, ColorizeWithoutProjectionUsesServerDefault) {
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli(Remote({"colorize", "--format", "json", "-"}),
                              testing::WithStdin(Golden("emoji.txt"))));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(result.stdout_text, Golden("emoji.json"));
}

TEST_F(RemoteCliTest, InfoDescribesTheModel) {
  ASSERT_OK_AND_ASSIGN(CommandResult text, RunCli(Remote({"info"})));
  ASSERT_EQ(text.exit_code, 0) << text.stderr_text;
  EXPECT_THAT(text.stdout_text, StartsWith("model            distilbert-tiny\n"));
  EXPECT_THAT(text.stdout_text, HasSubstr("projections      pca (default, stream default)\n"));

  ASSERT_OK_AND_ASSIGN(CommandResult json, RunCli(Remote({"info", "--json"})));
  ASSERT_EQ(json.exit_code, 0) << json.stderr_text;
  const nlohmann::json info = nlohmann::json::parse(json.stdout_text);
  EXPECT_EQ(info["name"], "distilbert-tiny");
  EXPECT_EQ(info["architecture"], "distilbert");
  EXPECT_EQ(info["dim"], 32);
  EXPECT_EQ(info["layers"], 2);
  EXPECT_EQ(info["vocab_size"], 30522);
  EXPECT_EQ(info["projections"], nlohmann::json::array({"PROJECTION_PCA"}));
  EXPECT_EQ(info["limits"]["max_text_bytes"], "1048576");
  EXPECT_EQ(info["limits"]["max_stream_messages"], 16);
}

TEST_F(RemoteCliTest, HealthReportsServing) {
  ASSERT_OK_AND_ASSIGN(CommandResult whole, RunCli(Remote({"health"})));
  EXPECT_EQ(whole.exit_code, 0) << whole.stderr_text;
  EXPECT_EQ(whole.stdout_text, "SERVING\n");

  ASSERT_OK_AND_ASSIGN(CommandResult service,
                       RunCli(Remote({"health", "--service", "synesthesia.v1.Synesthesia"})));
  EXPECT_EQ(service.exit_code, 0) << service.stderr_text;
  EXPECT_EQ(service.stdout_text, "SERVING\n");

  // The health service returns NOT_FOUND for a service it does not know.
  ASSERT_OK_AND_ASSIGN(CommandResult unknown, RunCli(Remote({"health", "--service", "nope"})));
  EXPECT_EQ(unknown.exit_code, 5);
  EXPECT_THAT(unknown.stderr_text, HasSubstr("NOT_FOUND"));
}

TEST_F(RemoteCliTest, TlsAgainstPlaintextServerSuggestsDroppingTls) {
  ASSERT_OK_AND_ASSIGN(CommandResult result, RunCli(Remote({"health", "--tls"})));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.stderr_text, HasSubstr("try without --tls"));
}

TEST_F(RemoteCliTest, TextOverTheMessageLimitSuggestsSplitting) {
  // 5 MiB, over the server's default --max_message_bytes of 4 MiB.
  const std::string text(5 << 20, 'a');
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli(Remote({"colorize", "-"}), testing::WithStdin(text)));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.stderr_text, HasSubstr("RESOURCE_EXHAUSTED"));
  EXPECT_THAT(result.stderr_text, HasSubstr("split it into smaller texts"));
}

TEST_F(RemoteCliTest, RejectedInputExitsWithFour) {
  ASSERT_OK_AND_ASSIGN(CommandResult invalid_utf8,
                       RunCli(Remote({"colorize", "-"}), testing::WithStdin(std::string("a\xff"))));
  EXPECT_EQ(invalid_utf8.exit_code, 4);
  EXPECT_THAT(invalid_utf8.stderr_text, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(invalid_utf8.stderr_text, HasSubstr("byte 1"));
  // The server's message is the only one: libprotobuf's log line about
  // serializing invalid UTF-8 is dropped.
  EXPECT_THAT(invalid_utf8.stderr_text, Not(HasSubstr("libprotobuf")));

  ASSERT_OK_AND_ASSIGN(CommandResult missing_projection,
                       RunCli(Remote({"colorize", "--projection", "basis", "sea"})));
  EXPECT_EQ(missing_projection.exit_code, 4);

  ASSERT_OK_AND_ASSIGN(CommandResult contrast,
                       RunCli(Remote({"colorize", "--background", "#000000", "--min-contrast",
                                      "30", "sea"})));
  EXPECT_EQ(contrast.exit_code, 4);

  ASSERT_OK_AND_ASSIGN(CommandResult stream,
                       RunCli(Remote({"stream"}), testing::WithStdin(std::string("bad \xc3\x28 text"))));
  EXPECT_EQ(stream.exit_code, 4) << stream.stderr_text;
  EXPECT_THAT(stream.stderr_text, HasSubstr("invalid UTF-8"));
  EXPECT_THAT(stream.stderr_text, Not(HasSubstr("libprotobuf")));
}

TEST(RemoteCli, UnavailableServerExitsWithThree) {
  const std::string address = absl::StrCat("127.0.0.1:", testing::UnusedLoopbackPort());
  const std::vector<std::vector<std::string>> cases = {
      {"colorize", "--server", address, "text"},
      {"info", "--server", address},
      {"health", "--server", address},
      {"health", "--server", address, "--wait", "300ms"},
      {"stream", "--server", address},
      {"bench", "--server", address, "--requests", "3", "--concurrency", "1"},
  };
  for (const std::vector<std::string>& args : cases) {
    SCOPED_TRACE(args[0] + " " + args.back());
    ASSERT_OK_AND_ASSIGN(CommandResult result,
                         RunCli(args, testing::WithStdin(std::string("some text"))));
    EXPECT_EQ(result.exit_code, 3) << result.stderr_text;
    if (args[0] != "bench") {
      // --wait waits for the connection, so its last check times out.
      EXPECT_THAT(result.stderr_text,
                  ::testing::AnyOf(HasSubstr("UNAVAILABLE"), HasSubstr("DEADLINE_EXCEEDED")));
    }
  }
}

// The writer sends two words and then waits until the test has seen them
// coloured on the CLI's output, so the test fails (by timeout) unless the
// CLI prints words while its input is still open.
TEST_F(RemoteCliTest, StreamColoursASlowWriterLive) {
  const std::string scratch = testing::ScratchDirectory("slow-writer");
  const std::string flag = scratch + "/continue";
  const std::string writer = absl::StrCat(
      "printf 'red green '; "
      "while [ ! -e '", flag, "' ]; do sleep 0.05; done; "
      "printf 'blue '; sleep 0.2; printf 'deep '; sleep 0.2; printf 'sea\\n'");
  testing::SubprocessOptions options;
  options.argv = {"/bin/sh", "-c",
                  absl::StrCat("{ ", writer, "; } | '", testing::CliPath(), "' stream --server ",
                               server_->address(), " --color always")};
  options.unset_environment = {"NO_COLOR"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::Subprocess> pipeline,
                       testing::Subprocess::Start(options));

  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (pipeline->Stdout().find("green\x1b[0m") == std::string::npos) {
    ASSERT_TRUE(pipeline->Running()) << "the pipeline ended early: " << pipeline->Stderr();
    ASSERT_LT(absl::Now(), give_up) << "no coloured word while the input stayed open; output: "
                                    << pipeline->Stdout();
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(pipeline->Stdout(), StartsWith("\x1b[38;2;"));
  EXPECT_THAT(pipeline->Stdout(), HasSubstr("red\x1b[0m "));
  std::ofstream(flag).put('\n');

  ASSERT_OK_AND_ASSIGN(int exit_code, pipeline->Wait(absl::Minutes(1)));
  EXPECT_EQ(exit_code, 0) << pipeline->Stderr();
  const std::string output = pipeline->Stdout();
  // Removing the colour codes gives back the input exactly.
  std::string plain;
  for (size_t i = 0; i < output.size();) {
    if (output[i] == '\x1b') {
      i = output.find('m', i) + 1;
    } else {
      plain += output[i++];
    }
  }
  EXPECT_EQ(plain, "red green blue deep sea\n");
  for (const std::string word : {"red", "green", "blue", "deep", "sea"}) {
    EXPECT_THAT(output, HasSubstr(word + "\x1b[0m")) << word;
  }
}

TEST_F(RemoteCliTest, StreamJsonReportsEveryWordOnce) {
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli(Remote({"stream", "--format", "json", "--message-id", "m"}),
                              testing::WithStdin(std::string("Héllo, wörld! Naïve café.\n"))));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  std::vector<std::string> words;
  std::vector<int64_t> byte_starts;
  bool final_seen = false;
  for (absl::string_view line : absl::StrSplit(result.stdout_text, '\n', absl::SkipEmpty())) {
    const nlohmann::json response = nlohmann::json::parse(line);
    EXPECT_EQ(response["message_id"], "m");
    EXPECT_EQ(response["projection"], "pca");
    EXPECT_FALSE(final_seen) << "a response after the final one";
    final_seen = response["final"];
    for (const nlohmann::json& span : response["spans"]) {
      words.push_back(span["text"]);
      byte_starts.push_back(span["byte_start"]);
    }
  }
  EXPECT_TRUE(final_seen);
  EXPECT_THAT(words, ElementsAre("Héllo", ",", "wörld", "!", "Naïve", "café", "."));
  EXPECT_THAT(byte_starts, ElementsAre(0, 6, 8, 14, 16, 23, 28));
}

// A message past 64 KiB is finished at whitespace and continued as a new
// message, so that a long pipe stays under the server's text limit.
TEST_F(RemoteCliTest, StreamRollsLongInputOverToNewMessages) {
  std::string input;
  constexpr int kWords = 20000;
  for (int i = 0; i < kWords; ++i) input += "sea ";
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli(Remote({"stream", "--format", "json"}), testing::WithStdin(input)));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;

  std::map<std::string, int> words_per_message;
  std::map<std::string, int> finals_per_message;
  std::vector<std::string> message_order;
  for (absl::string_view line : absl::StrSplit(result.stdout_text, '\n', absl::SkipEmpty())) {
    const nlohmann::json response = nlohmann::json::parse(line);
    const std::string id = response["message_id"];
    if (message_order.empty() || message_order.back() != id) message_order.push_back(id);
    for (const nlohmann::json& span : response["spans"]) {
      EXPECT_EQ(span["text"], "sea");
      ++words_per_message[id];
    }
    if (response["final"]) ++finals_per_message[id];
  }
  ASSERT_GE(message_order.size(), 2u);
  EXPECT_EQ(message_order[0], "stdin");
  EXPECT_EQ(message_order[1], "stdin-2");
  int total = 0;
  for (const auto& [id, words] : words_per_message) {
    total += words;
    EXPECT_EQ(finals_per_message[id], 1) << id;
    // 64 KiB of "sea " is 16,384 words; a message ends within one read after.
    EXPECT_LE(words, 16384 + 1024) << id;
  }
  EXPECT_EQ(total, kWords);
}

TEST_F(RemoteCliTest, BenchFinishesWithoutErrors) {
  ASSERT_OK_AND_ASSIGN(CommandResult unary,
                       RunCli(Remote({"bench", "--requests", "40", "--concurrency", "4",
                                      "--json"})));
  ASSERT_EQ(unary.exit_code, 0) << unary.stderr_text;
  const nlohmann::json unary_report = nlohmann::json::parse(unary.stdout_text);
  EXPECT_EQ(unary_report["mode"], "unary");
  EXPECT_EQ(unary_report["requests"], 40);
  EXPECT_EQ(unary_report["errors"], 0);
  EXPECT_EQ(unary_report["status_codes"], nlohmann::json({{"OK", 40}}));
  EXPECT_GT(unary_report["latency_ms"]["max"].get<double>(), 0);
  EXPECT_LE(unary_report["latency_ms"]["p50"].get<double>(),
            unary_report["latency_ms"]["p99"].get<double>());

  ASSERT_OK_AND_ASSIGN(CommandResult stream,
                       RunCli(Remote({"bench", "--mode", "stream", "--requests", "20",
                                      "--concurrency", "2", "--json"})));
  ASSERT_EQ(stream.exit_code, 0) << stream.stderr_text;
  const nlohmann::json stream_report = nlohmann::json::parse(stream.stdout_text);
  EXPECT_EQ(stream_report["mode"], "stream");
  EXPECT_EQ(stream_report["ok"], 20);
  EXPECT_EQ(stream_report["errors"], 0);

  // Open loop: 20 requests/s for half a second schedules 10 requests. One
  // still behind schedule at the end would count as not sent.
  ASSERT_OK_AND_ASSIGN(CommandResult open_loop,
                       RunCli(Remote({"bench", "--rate", "20", "--duration", "500ms"})));
  ASSERT_EQ(open_loop.exit_code, 0) << open_loop.stderr_text;
  EXPECT_THAT(open_loop.stdout_text, HasSubstr("open loop at 20 requests/s"));
  EXPECT_THAT(open_loop.stdout_text, HasSubstr("  p99          "));
  ASSERT_OK_AND_ASSIGN(CommandResult open_loop_json,
                       RunCli(Remote({"bench", "--rate", "20", "--duration", "500ms", "--json"})));
  ASSERT_EQ(open_loop_json.exit_code, 0) << open_loop_json.stderr_text;
  const nlohmann::json open_loop_report = nlohmann::json::parse(open_loop_json.stdout_text);
  EXPECT_EQ(open_loop_report["errors"], 0);
  EXPECT_EQ(open_loop_report["requests"].get<int>() + open_loop_report["not_sent"].get<int>(), 10);
}

// A rate far above what the server can process: the run ends when
// --duration has passed and counts what it could not send, instead of
// working through the whole schedule.
TEST_F(RemoteCliTest, BenchOpenLoopBehindScheduleCountsNotSent) {
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli(Remote({"bench", "--rate", "1000000", "--duration", "300ms",
                                      "--concurrency", "2", "--json"})));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  const nlohmann::json report = nlohmann::json::parse(result.stdout_text);
  EXPECT_GT(report["not_sent"].get<int>(), 0);
  EXPECT_EQ(report["requests"].get<int>() + report["not_sent"].get<int>(), 300000);
}

TEST(RemoteCli, BenchWithoutSuccessReportsNoLatency) {
  const std::string target = absl::StrCat("127.0.0.1:", testing::UnusedLoopbackPort());
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli({"bench", "--server", target, "--requests", "2", "--deadline",
                               "200ms", "--json"}));
  EXPECT_NE(result.exit_code, 0);
  const nlohmann::json report = nlohmann::json::parse(result.stdout_text);
  EXPECT_EQ(report["ok"], 0);
  EXPECT_TRUE(report["latency_ms"]["p50"].is_null());
  EXPECT_TRUE(report["latency_ms"]["mean"].is_null());
}

TEST_F(RemoteCliTest, BenchReadsTextsFromFile) {
  const std::string texts = testing::ScratchDirectory("bench-texts") + "/texts.txt";
  std::ofstream(texts) << "first line\n\nsecond line\r\n";
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli(Remote({"bench", "--texts", texts, "--requests", "5", "--json"})));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_EQ(nlohmann::json::parse(result.stdout_text)["ok"], 5);
}

// A server whose model has all three projections.
class ProjectionsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(const std::string model,
                         testing::MakeTinyModelWithProjections("cli-projections"));
    ASSERT_OK_AND_ASSIGN(server_, testing::ServerProcess::Start(model));
  }
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(ProjectionsCliTest, ProjectionAndGranularityReachTheServer) {
  for (const std::string projection : {"pca", "basis", "semantic"}) {
    ASSERT_OK_AND_ASSIGN(CommandResult result,
                         RunCli({"colorize", "--server", server_->address(), "--format", "json",
                                 "--projection", projection, "ocean"}));
    ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
    EXPECT_EQ(nlohmann::json::parse(result.stdout_text)["projection"], projection);
  }

  // "unbelievably" is several WordPiece tokens and one word.
  ASSERT_OK_AND_ASSIGN(CommandResult tokens,
                       RunCli({"colorize", "--server", server_->address(), "--format", "plain",
                               "unbelievably"}));
  ASSERT_EQ(tokens.exit_code, 0) << tokens.stderr_text;
  EXPECT_GT(std::count(tokens.stdout_text.begin(), tokens.stdout_text.end(), '\n'), 1);
  ASSERT_OK_AND_ASSIGN(CommandResult words,
                       RunCli({"colorize", "--server", server_->address(), "--format", "plain",
                               "--granularity", "word", "unbelievably"}));
  ASSERT_EQ(words.exit_code, 0) << words.stderr_text;
  EXPECT_THAT(words.stdout_text, ::testing::MatchesRegex("#[0-9a-f]{6}\t0\t12\tunbelievably\n"));
}

TEST_F(ProjectionsCliTest, MinContrastMeetsTheRatio) {
  ASSERT_OK_AND_ASSIGN(CommandResult result,
                       RunCli({"colorize", "--server", server_->address(), "--format", "json",
                               "--background", "#FFFFFF", "--min-contrast", "7",
                               "pale yellow sunlight"}));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  // WCAG 2 relative luminance of each colour against white.
  auto linear = [](double channel) {
    const double c = channel / 255.0;
    return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  };
  for (const nlohmann::json& span : nlohmann::json::parse(result.stdout_text)["spans"]) {
    const double luminance = 0.2126 * linear(span["rgb"][0]) + 0.7152 * linear(span["rgb"][1]) +
                             0.0722 * linear(span["rgb"][2]);
    EXPECT_GE(1.05 / (luminance + 0.05), 7.0) << span.dump();
  }
}

TEST(RemoteCliAuth, TokenFileAuthenticates) {
  const std::string scratch = testing::ScratchDirectory("cli-token");
  std::ofstream(scratch + "/token") << "s3cret-token\n";
  std::ofstream(scratch + "/wrong") << "guess\n";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<testing::ServerProcess> server,
      testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny"),
                                    {"--auth_token_file=" + scratch + "/token"}));

  ASSERT_OK_AND_ASSIGN(CommandResult without,
                       RunCli({"colorize", "--server", server->address(), "sea"}));
  EXPECT_EQ(without.exit_code, 5);
  EXPECT_THAT(without.stderr_text, HasSubstr("UNAUTHENTICATED"));

  ASSERT_OK_AND_ASSIGN(CommandResult wrong,
                       RunCli({"info", "--server", server->address(), "--token-file",
                               scratch + "/wrong"}));
  EXPECT_EQ(wrong.exit_code, 5);

  ASSERT_OK_AND_ASSIGN(CommandResult with,
                       RunCli({"colorize", "--server", server->address(), "--token-file",
                               scratch + "/token", "sea"}));
  EXPECT_EQ(with.exit_code, 0) << with.stderr_text;

  ASSERT_OK_AND_ASSIGN(CommandResult stream,
                       RunCli({"stream", "--server", server->address(), "--token-file",
                               scratch + "/token"},
                              testing::WithStdin(std::string("deep sea"))));
  EXPECT_EQ(stream.exit_code, 0) << stream.stderr_text;
  // The output ends with a newline, as colorize's does.
  EXPECT_EQ(stream.stdout_text, "deep sea\n");
}

// Runs openssl with ARGS in DIRECTORY and fails the test when it fails.
void OpenSsl(const std::string& directory, std::vector<std::string> args) {
  testing::SubprocessOptions options;
  options.argv = {"openssl"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.working_directory = directory;
  ASSERT_OK_AND_ASSIGN(CommandResult result, testing::RunCommand(options, absl::Minutes(1)));
  ASSERT_EQ(result.exit_code, 0) << "openssl " << args[0] << ": " << result.stderr_text;
}

// Writes a CA, a server certificate for "localhost" and a client
// certificate, all signed by the CA, into DIRECTORY.
void MakeCertificates(const std::string& directory) {
  OpenSsl(directory, {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-subj", "/CN=Synesthesia test CA", "-keyout", "ca.key", "-out", "ca.pem"});
  std::ofstream(directory + "/server.ext") << "subjectAltName=DNS:localhost\n";
  OpenSsl(directory, {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                      "-keyout", "server.key", "-out", "server.csr"});
  OpenSsl(directory, {"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                      "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out",
                      "server.pem"});
  OpenSsl(directory, {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=test client",
                      "-keyout", "client.key", "-out", "client.csr"});
  OpenSsl(directory, {"x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                      "-CAcreateserial", "-days", "2", "-out", "client.pem"});
}

TEST(RemoteCliTls, MutualTlsNeedsTheClientCertificate) {
  const std::string certs = testing::ScratchDirectory("cli-tls");
  ASSERT_NO_FATAL_FAILURE(MakeCertificates(certs));
  ClientOptions health_client;
  health_client.tls_root_certificates_pem = testing::ReadFileOrEmpty(certs + "/ca.pem");
  health_client.tls_client_certificate_pem = testing::ReadFileOrEmpty(certs + "/client.pem");
  health_client.tls_client_key_pem = testing::ReadFileOrEmpty(certs + "/client.key");
  health_client.tls_server_name = "localhost";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<testing::ServerProcess> server,
      testing::ServerProcess::Start(
          testing::TestDataPath("distilbert-tiny"),
          {"--tls_cert=" + certs + "/server.pem", "--tls_key=" + certs + "/server.key",
           "--tls_client_ca=" + certs + "/ca.pem"},
          health_client));
  const std::vector<std::string> tls = {"--server", server->address(), "--tls-ca",
                                        certs + "/ca.pem", "--tls-server-name", "localhost"};

  std::vector<std::string> with_certificate = {"colorize", "--format", "plain"};
  with_certificate.insert(with_certificate.end(), tls.begin(), tls.end());
  with_certificate.insert(with_certificate.end(), {"--tls-cert", certs + "/client.pem",
                                                   "--tls-key", certs + "/client.key", "sea"});
  ASSERT_OK_AND_ASSIGN(CommandResult accepted, RunCli(with_certificate));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.stderr_text;
  EXPECT_THAT(accepted.stdout_text, ::testing::MatchesRegex("#[0-9a-f]{6}\t0\t3\tsea\n"));

  std::vector<std::string> without_certificate = {"info"};
  without_certificate.insert(without_certificate.end(), tls.begin(), tls.end());
  ASSERT_OK_AND_ASSIGN(CommandResult rejected, RunCli(without_certificate));
  EXPECT_EQ(rejected.exit_code, 3) << rejected.stderr_text;

  // Plaintext against a TLS server fails too.
  ASSERT_OK_AND_ASSIGN(CommandResult plaintext, RunCli({"info", "--server", server->address()}));
  EXPECT_EQ(plaintext.exit_code, 3) << plaintext.stderr_text;
}

}  // namespace
}  // namespace synesthesia

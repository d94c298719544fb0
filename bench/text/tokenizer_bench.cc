// Throughput of Tokenizer::Tokenize on English prose, on text that mixes
// scripts, and on one short request. Reports bytes and tokens per second.
//
//   build/bench/text/bench_tokenizer [--vocab=PATH] [Google Benchmark flags]
//
// PATH defaults to the bert-base-uncased vocabulary in tests/data/vocab.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/text/tokenizer.h"
#include "core/text/utf8.h"
#include "core/text/vocabulary.h"

namespace synesthesia::text {
namespace {

std::string vocab_path = SYNESTHESIA_BENCH_VOCAB;

const Tokenizer& SharedTokenizer() {
  static const Tokenizer* tokenizer = [] {
    absl::StatusOr<Vocabulary> vocabulary = Vocabulary::Load(vocab_path);
    if (!vocabulary.ok()) {
      fprintf(stderr, "%s\n", vocabulary.status().ToString().c_str());
      std::exit(1);
    }
    absl::StatusOr<std::unique_ptr<Tokenizer>> created = Tokenizer::Create(*std::move(vocabulary));
    if (!created.ok()) {
      fprintf(stderr, "%s\n", created.status().ToString().c_str());
      std::exit(1);
    }
    return created->release();
  }();
  return *tokenizer;
}

const std::vector<std::string_view> kEnglish = {
    "The lighthouse keeper counted the ships that passed during the long winter nights.",
    "Colours carry meaning: red warns of danger, while green suggests growth and safety.",
    "She re-read the letter twice before deciding that it wasn't worth answering.",
    "In 1969, about 600 million people watched the first moon landing on television.",
    "Researchers measured the response time of each server under a steady load.",
    "Although the recipe looked simple, the sauce took nearly three hours to thicken.",
    "His grandmother's garden was full of tomatoes, beans, sunflowers and bees.",
    "The committee postponed its decision until the auditors had finished their report.",
    "A quiet street, a closed bakery and a single bicycle leaning against the wall.",
    "Unbelievably, the cheapest ticket cost $45.50, including every fee and tax.",
    "\"Where are we going?\" asked the child, pressing her face against the window.",
    "Tokenization splits words like unhappiness into smaller, more frequent pieces.",
};

const std::vector<std::string_view> kMixed = {
    "Le café était fermé, alors nous avons marché jusqu'à la rivière.",
    "Die Straße war nass, und die Kinder sprangen fröhlich in die Pfützen.",
    "¿Dónde está la estación de tren más cercana? Necesito llegar pronto.",
    "Мы долго говорили о книгах, музыке и путешествиях по северу.",
    "Η θάλασσα ήταν ήρεμη και ο ουρανός γεμάτος αστέρια.",
    "ذهبنا إلى السوق واشترينا الخبز والتمر والقهوة.",
    "הילדים שיחקו בגן עד שהשמש שקעה.",
    "आज मौसम बहुत अच्छा है और हम पार्क में घूमने जाएंगे।",
    "我们明天早上八点在火车站见面，然后一起去博物馆。",
    "東京の春は桜がとても美しく、多くの人が公園に集まります。",
    "오늘 저녁에는 친구들과 함께 맛있는 음식을 먹을 거예요.",
    "วันนี้อากาศดีมาก เราจะไปเดินเล่นที่ชายหาด",
    "Great news 🎉🎉 the release is out 👍🏽 — thanks to everyone 👨‍👩‍👧!",
    "Tiếng Việt có rất nhiều dấu thanh và chữ cái đặc biệt.",
};

// About SIZE bytes of SENTENCES in a fixed pseudo-random order.
std::string BuildText(const std::vector<std::string_view>& sentences, size_t size) {
  std::mt19937 random(2024);
  std::string text;
  while (text.size() < size) {
    text += sentences[random() % sentences.size()];
    text += random() % 5 == 0 ? "\n\n" : " ";
  }
  return text;
}

void RunTokenize(benchmark::State& state, const std::string& text) {
  const Tokenizer& tokenizer = SharedTokenizer();
  int64_t tokens = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<Token>> result = tokenizer.Tokenize(text);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
    tokens += static_cast<int64_t>(result->size());
    benchmark::DoNotOptimize(result->data());
  }
  const auto bytes = static_cast<double>(text.size()) * static_cast<double>(state.iterations());
  state.counters["bytes_per_second"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["input_bytes"] = static_cast<double>(text.size());
}

void BM_TokenizeEnglishProse(benchmark::State& state) {
  static const std::string text = BuildText(kEnglish, 64 * 1024);
  RunTokenize(state, text);
}
BENCHMARK(BM_TokenizeEnglishProse);

void BM_TokenizeMixedScripts(benchmark::State& state) {
  static const std::string text = BuildText(kMixed, 64 * 1024);
  RunTokenize(state, text);
}
BENCHMARK(BM_TokenizeMixedScripts);

// One request of the size a client sends per call.
void BM_TokenizeShortRequest(benchmark::State& state) {
  static const std::string text(kEnglish[1]);
  RunTokenize(state, text);
}
BENCHMARK(BM_TokenizeShortRequest);

void BM_ValidateUtf8MixedScripts(benchmark::State& state) {
  static const std::string text = BuildText(kMixed, 64 * 1024);
  for (auto _ : state) benchmark::DoNotOptimize(ValidateUtf8(text).ok());
  state.counters["bytes_per_second"] = benchmark::Counter(
      static_cast<double>(text.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_ValidateUtf8MixedScripts);

}  // namespace
}  // namespace synesthesia::text

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument.starts_with("--vocab=")) {
      synesthesia::text::vocab_path = std::string(argument.substr(8));
    } else {
      fprintf(stderr, "unknown flag %s; besides Google Benchmark's flags, only --vocab=PATH\n",
              argv[i]);
      return 2;
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

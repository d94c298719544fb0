#include "core/model/safetensors.h"

#include <sys/stat.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::model {
namespace {

using ::synesthesia::testing::IsOk;
using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Assembles a safetensors file by hand: the little-endian header length, the
// header text and the data section, with no checks of our own.
std::string Assemble(const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string FloatBytes(const std::vector<float>& values) {
  std::string bytes(values.size() * sizeof(float), '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string U16Bytes(const std::vector<uint16_t>& values) {
  std::string bytes(values.size() * 2, '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A valid two-tensor file used as the seed of the corruption tests.
std::string SmallValidFile() {
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},)"
      R"("__metadata__":{"format":"pt"}})";
  return Assemble(header, FloatBytes({1, 2, 3, 4}) + U16Bytes({0x3c00, 0x4000, 0xc000}));
}

TEST(Safetensors, ReadsHandBuiltFile) {
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::FromBytes(SmallValidFile(), "small"));

  EXPECT_THAT(file->Names(), ElementsAre("a", "b"));
  EXPECT_TRUE(file->Contains("a"));
  EXPECT_FALSE(file->Contains("c"));
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(file->source(), "small");

  ASSERT_OK_AND_ASSIGN(TensorView a, file->Get("a"));
  EXPECT_EQ(a.dtype, DType::kF32);
  EXPECT_THAT(a.shape, ElementsAre(2, 2));
  EXPECT_EQ(a.byte_size, 16);
  EXPECT_EQ(a.element_count(), 4);

  ASSERT_OK_AND_ASSIGN(std::vector<float> a_values, file->ReadFloat32("a", {2, 2}));
  EXPECT_THAT(a_values, ElementsAre(1, 2, 3, 4));
  ASSERT_OK_AND_ASSIGN(std::vector<float> b_values, file->ReadFloat32("b"));
  EXPECT_THAT(b_values, ElementsAre(1, 2, -2));
}

TEST(Safetensors, ConvertsHalfPrecision) {
  // IEEE 754 binary16 encodings and their exact values.
  const std::vector<uint16_t> bits = {0x0000, 0x8000, 0x3c00, 0xc000, 0x3555, 0x7bff,
                                      0x0400, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00};
  const std::vector<float> expected = {0.0f,
                                       -0.0f,
                                       1.0f,
                                       -2.0f,
                                       0.333251953125f,
                                       65504.0f,
                                       std::ldexp(1.0f, -14),
                                       std::ldexp(1.0f, -24),
                                       std::ldexp(1023.0f, -24),
                                       std::numeric_limits<float>::infinity(),
                                       -std::numeric_limits<float>::infinity(),
                                       std::numeric_limits<float>::quiet_NaN()};
  const std::string header = R"({"h":{"dtype":"F16","shape":[12],"data_offsets":[0,24]}})";
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::FromBytes(Assemble(header, U16Bytes(bits)), "h"));

  ASSERT_OK_AND_ASSIGN(std::vector<float> values, file->ReadFloat32("h"));
  ASSERT_EQ(values.size(), expected.size());
  for (size_t i = 0; i + 1 < expected.size(); ++i) {
    EXPECT_EQ(values[i], expected[i]) << "bits 0x" << std::hex << bits[i];
    EXPECT_EQ(std::signbit(values[i]), std::signbit(expected[i])) << "bits 0x" << std::hex << bits[i];
  }
  EXPECT_TRUE(std::isnan(values.back()));
}

TEST(Safetensors, ConvertsBFloat16) {
  // bfloat16 is the upper half of a float32.
  const std::vector<uint16_t> bits = {0x3f80, 0xc040, 0x3eab, 0x0001, 0x7f80, 0xff80};
  const std::vector<float> expected = {1.0f,
                                       -3.0f,
                                       0.333984375f,
                                       std::bit_cast<float>(uint32_t{0x00010000}),
                                       std::numeric_limits<float>::infinity(),
                                       -std::numeric_limits<float>::infinity()};
  const std::string header = R"({"b":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]}})";
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::FromBytes(Assemble(header, U16Bytes(bits)), "b"));

  ASSERT_OK_AND_ASSIGN(std::vector<float> values, file->ReadFloat32("b", {2, 3}));
  EXPECT_EQ(values, expected);
}

TEST(Safetensors, ReadsReferenceCheckpoint) {
  ASSERT_OK_AND_ASSIGN(auto file,
                       SafetensorsFile::Open(TestDataPath("distilbert-tiny/model.safetensors")));

  EXPECT_EQ(file->Names().size(), 36u);
  EXPECT_EQ(file->Names().front(), "embeddings.word_embeddings.weight");
  EXPECT_EQ(file->metadata().at("format"), "pt");
  ASSERT_OK_AND_ASSIGN(TensorView word, file->Get("embeddings.word_embeddings.weight"));
  EXPECT_THAT(word.shape, ElementsAre(30522, 32));
  ASSERT_OK_AND_ASSIGN(std::vector<float> lin1,
                       file->ReadFloat32("transformer.layer.1.ffn.lin1.weight", {64, 32}));
  EXPECT_EQ(lin1.size(), 64u * 32u);
}

TEST(Safetensors, ReadsIntegerTensorViews) {
  ASSERT_OK_AND_ASSIGN(auto file,
                       SafetensorsFile::Open(TestDataPath("distilbert-tiny/expected.safetensors")));

  ASSERT_OK_AND_ASSIGN(TensorView ids, file->Get("single.0.input_ids"));
  EXPECT_EQ(ids.dtype, DType::kI64);
  EXPECT_THAT(ids.shape, ElementsAre(1, 10));
  int64_t first = 0;
  std::memcpy(&first, ids.data, sizeof(first));
  EXPECT_EQ(first, 101);  // [CLS]
  EXPECT_THAT(file->ReadFloat32("single.0.input_ids"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("I64")));
}

TEST(Safetensors, AcceptsScalarAndEmptyTensors) {
  const std::string header =
      R"({"scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},)"
      R"("empty":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},)"
      R"("last":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  ASSERT_OK_AND_ASSIGN(auto file,
                       SafetensorsFile::FromBytes(Assemble(header, FloatBytes({7, 8})), "s"));

  EXPECT_THAT(file->Names(), ElementsAre("scalar", "empty", "last"));
  ASSERT_OK_AND_ASSIGN(std::vector<float> scalar, file->ReadFloat32("scalar"));
  EXPECT_THAT(scalar, ElementsAre(7));
  ASSERT_OK_AND_ASSIGN(std::vector<float> empty, file->ReadFloat32("empty", {0, 5}));
  EXPECT_TRUE(empty.empty());
}

TEST(Safetensors, GetMissingTensorIsNotFound) {
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::FromBytes(SmallValidFile(), "small.st"));

  EXPECT_THAT(file->Get("missing"),
              StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("small.st"), HasSubstr("missing"))));
  EXPECT_THAT(file->ReadFloat32("missing"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST(Safetensors, ReadFloat32ChecksShape) {
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::FromBytes(SmallValidFile(), "small.st"));

  EXPECT_THAT(file->ReadFloat32("a", {4}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("small.st"), HasSubstr("'a'"), HasSubstr("[2, 2]"),
                             HasSubstr("[4]"))));
}

TEST(Safetensors, OpenMissingFileIsNotFound) {
  const std::string path = ScratchDirectory("safetensors-missing") + "/absent.safetensors";

  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.safetensors")));
}

TEST(Safetensors, OpenDirectoryIsInvalid) {
  const std::string directory = ScratchDirectory("safetensors-directory");

  EXPECT_THAT(SafetensorsFile::Open(directory),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular file")));
}

TEST(Safetensors, OpenEmptyFileIsInvalid) {
  const std::string path = ScratchDirectory("safetensors-empty") + "/empty.safetensors";
  std::ofstream(path).close();

  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("empty.safetensors"), HasSubstr("too short"))));
}

struct CorruptCase {
  std::string label;
  std::string bytes;
  std::string message;  // A substring the error must contain.
};

std::vector<CorruptCase> CorruptCases() {
  const std::string four_floats = FloatBytes({1, 2, 3, 4});
  std::string huge_length(8, '\xff');
  huge_length += "{}";
  return {
      {"too short", "abc", "too short"},
      {"header length past the end", Assemble("{}", "").substr(0, 8) + "{", "header length 2"},
      {"header length of 2^64-1", huge_length, "header length 18446744073709551615"},
      {"invalid JSON", Assemble("{\"a\":", ""), "not valid JSON"},
      {"JSON array header", Assemble("[]", ""), "not a JSON object"},
      {"trailing garbage", Assemble("{} x", ""), "not valid JSON"},
      {"invalid UTF-8 in JSON", Assemble("{\"\xff\":1}", ""), "not valid JSON"},
      {"duplicate key",
       Assemble(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                FloatBytes({1})),
       "key 'a' twice"},
      {"entry not an object", Assemble(R"({"a":5})", ""), "tensor 'a': entry is not"},
      {"missing dtype", Assemble(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", four_floats),
       "tensor 'a': missing or non-string \"dtype\""},
      {"unknown dtype",
       Assemble(R"({"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})", four_floats),
       "unsupported dtype \"F128\""},
      {"shape not an array",
       Assemble(R"({"a":{"dtype":"F32","shape":4,"data_offsets":[0,16]}})", four_floats),
       "tensor 'a': missing or non-array \"shape\""},
      {"negative dimension",
       Assemble(R"({"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", four_floats),
       "tensor 'a': shape [-4]"},
      {"fractional dimension",
       Assemble(R"({"a":{"dtype":"F32","shape":[4.0],"data_offsets":[0,16]}})", four_floats),
       "tensor 'a': shape"},
      {"dimension of 2^63",
       Assemble(R"({"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,16]}})",
                four_floats),
       "tensor 'a': shape"},
      {"shape product overflow",
       Assemble(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}})",
                four_floats),
       "too many elements"},
      {"byte count overflow",
       Assemble(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,16]}})",
                four_floats),
       "too many elements"},
      {"shape larger than range",
       Assemble(R"({"a":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", four_floats),
       "needs 20 bytes"},
      {"dtype larger than range",
       Assemble(R"({"a":{"dtype":"F64","shape":[4],"data_offsets":[0,16]}})", four_floats),
       "needs 32 bytes"},
      {"offsets missing", Assemble(R"({"a":{"dtype":"F32","shape":[4]}})", four_floats),
       "\"data_offsets\" is not an array of two integers"},
      {"three offsets",
       Assemble(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8,16]}})", four_floats),
       "\"data_offsets\" is not an array of two integers"},
      {"negative offset",
       Assemble(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[-16,0]}})", four_floats),
       "not an integer"},
      {"reversed offsets",
       Assemble(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[16,0]}})", four_floats),
       "end 0 is before begin 16"},
      {"range past the data",
       Assemble(R"({"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}})", four_floats),
       "run past the 16-byte data section"},
      {"range at 2^63-1",
       Assemble(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775803,9223372036854775807]}})",
                four_floats),
       "run past"},
      {"overlapping tensors",
       Assemble(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                four_floats),
       "tensor 'b': data_offsets [8, 16] overlap"},
      {"gap between tensors",
       Assemble(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                four_floats),
       "tensor 'b': data_offsets [8, 16] leave a gap"},
      {"uncovered trailing data",
       Assemble(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}})", four_floats),
       "tensors cover 12 bytes of the 16-byte data section"},
      {"metadata not an object", Assemble(R"({"__metadata__":[1]})", ""), "__metadata__ is not"},
      {"metadata value not a string", Assemble(R"({"__metadata__":{"k":1}})", ""),
       "__metadata__ value of 'k'"},
  };
}

TEST(Safetensors, RejectsCorruptFiles) {
  for (const CorruptCase& corrupt : CorruptCases()) {
    SCOPED_TRACE(corrupt.label);

    EXPECT_THAT(SafetensorsFile::FromBytes(corrupt.bytes, "bad.safetensors"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("bad.safetensors"), HasSubstr(corrupt.message))));
  }
}

TEST(Safetensors, OpenRejectsCorruptFileNamingIt) {
  const std::string path = ScratchDirectory("safetensors-corrupt") + "/corrupt.safetensors";
  std::ofstream(path, std::ios::binary) << Assemble("{\"a\":", "");

  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("not valid JSON"))));
}

TEST(Safetensors, RejectsEveryTruncation) {
  const std::string valid = SmallValidFile();

  for (size_t length = 0; length < valid.size(); ++length) {
    EXPECT_FALSE(SafetensorsFile::FromBytes(valid.substr(0, length), "cut").ok())
        << "prefix of " << length << " bytes";
  }
  EXPECT_THAT(SafetensorsFile::FromBytes(valid, "whole"), IsOk());
}

// Every accepted mutation must still give views inside the file, so reading
// every tensor must work (and must not crash under the sanitizers).
TEST(Safetensors, SurvivesRandomMutations) {
  const std::string valid = SmallValidFile();
  std::mt19937 generator(20240601);
  std::uniform_int_distribution<size_t> position(0, valid.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> edits(1, 4);
  int accepted = 0;

  for (int trial = 0; trial < 20000; ++trial) {
    std::string mutated = valid;
    const int edit_count = edits(generator);
    for (int edit = 0; edit < edit_count; ++edit) {
      mutated[position(generator)] = static_cast<char>(byte(generator));
    }

    auto file = SafetensorsFile::FromBytes(mutated, "mutated");
    if (!file.ok()) continue;
    ++accepted;
    for (const std::string& name : (*file)->Names()) {
      ASSERT_OK_AND_ASSIGN(TensorView view, (*file)->Get(name));
      ASSERT_EQ(view.byte_size, view.element_count() * DTypeSize(view.dtype));
      auto values = (*file)->ReadFloat32(name);
      if (values.ok()) {
        EXPECT_EQ(static_cast<int64_t>(values->size()), view.element_count());
      }
    }
  }
  // Mutations of the data bytes keep the file valid, so some must pass.
  EXPECT_GT(accepted, 0);
}

TEST(Safetensors, WriterRoundTrips) {
  const std::string path = ScratchDirectory("safetensors-round-trip") + "/weights.safetensors";
  std::vector<float> big(1000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = std::sin(static_cast<float>(i)) * 1e3f;
  const std::vector<Float32Tensor> tensors = {
      {"z.last", {10, 100}, big},
      {"a.first", {3}, {1.5f, -0.0f, std::numeric_limits<float>::denorm_min()}},
      {"m.scalar", {}, {42}},
      {"m.empty", {0}, {}},
  };

  ASSERT_OK(WriteSafetensors(path, tensors, {{"format", "pt"}, {"note", "été"}}));
  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));

  EXPECT_THAT(file->Names(), ElementsAre("a.first", "m.empty", "m.scalar", "z.last"));
  EXPECT_EQ(file->metadata().at("note"), "été");
  for (const Float32Tensor& tensor : tensors) {
    SCOPED_TRACE(tensor.name);
    ASSERT_OK_AND_ASSIGN(TensorView view, file->Get(tensor.name));
    EXPECT_EQ(view.dtype, DType::kF32);
    EXPECT_EQ(view.shape, tensor.shape);
    ASSERT_OK_AND_ASSIGN(std::vector<float> values, file->ReadFloat32(tensor.name));
    ASSERT_EQ(values.size(), tensor.values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(std::bit_cast<uint32_t>(values[i]), std::bit_cast<uint32_t>(tensor.values[i]));
    }
  }
}

TEST(Safetensors, WriterAlignsDataToEightBytes) {
  const std::string path = ScratchDirectory("safetensors-align") + "/aligned.safetensors";
  ASSERT_OK(WriteSafetensors(path, {{"x", {1}, {1}}}));

  const std::string bytes = ReadFile(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  EXPECT_EQ((8 + header_length) % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + header_length + 4);
  EXPECT_EQ(bytes[8], '{');
}

TEST(Safetensors, WriterReplacesFileAtomically) {
  const std::string directory = ScratchDirectory("safetensors-replace");
  const std::string path = directory + "/weights.safetensors";
  ASSERT_OK(WriteSafetensors(path, {{"old", {1}, {1}}}));

  ASSERT_OK(WriteSafetensors(path, {{"new", {2}, {2, 3}}}));

  ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  EXPECT_THAT(file->Names(), ElementsAre("new"));
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    EXPECT_EQ(entry.path().filename(), "weights.safetensors");
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(Safetensors, WriterRejectsDuplicateNames) {
  const std::string path = ScratchDirectory("safetensors-duplicate") + "/d.safetensors";

  EXPECT_THAT(WriteSafetensors(path, {{"x", {1}, {1}}, {"x", {1}, {2}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate tensor name 'x'")));
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Safetensors, WriterRejectsShapeMismatch) {
  const std::string path = ScratchDirectory("safetensors-mismatch") + "/m.safetensors";

  EXPECT_THAT(WriteSafetensors(path, {{"x", {2, 2}, {1, 2, 3}}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'x'"), HasSubstr("[2, 2]"), HasSubstr("3 values"))));
  EXPECT_THAT(WriteSafetensors(path, {{"y", {-1}, {}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'y'")));
  EXPECT_THAT(WriteSafetensors(path, {{"__metadata__", {1}, {1}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved")));
}

TEST(Safetensors, WriterRejectsInvalidUtf8Name) {
  const std::string path = ScratchDirectory("safetensors-utf8") + "/u.safetensors";

  EXPECT_THAT(WriteSafetensors(path, {{"bad\xff", {1}, {1}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
}

TEST(Safetensors, WriterReportsMissingDirectory) {
  const std::string path =
      ScratchDirectory("safetensors-no-directory") + "/absent/weights.safetensors";

  EXPECT_THAT(WriteSafetensors(path, {{"x", {1}, {1}}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

}  // namespace
}  // namespace synesthesia::model

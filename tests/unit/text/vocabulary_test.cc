#include "core/text/vocabulary.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::text {
namespace {

using ::synesthesia::testing::IsOk;
using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string WriteFile(const std::string& directory, const std::string& contents) {
  const std::string path = directory + "/vocab.txt";
  std::ofstream file(path, std::ios::binary);
  file << contents;
  return path;
}

TEST(Vocabulary, LoadsBertBaseUncased) {
  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary,
                       Vocabulary::Load(TestDataPath("vocab/bert-base-uncased-vocab.txt")));
  // Sizes and ids published with the vocabulary.
  EXPECT_EQ(vocabulary.size(), 30522);
  EXPECT_EQ(vocabulary.Find("[PAD]"), 0);
  EXPECT_EQ(vocabulary.Find("[UNK]"), 100);
  EXPECT_EQ(vocabulary.Find("[CLS]"), 101);
  EXPECT_EQ(vocabulary.Find("[SEP]"), 102);
  EXPECT_EQ(vocabulary.Find("[MASK]"), 103);
  EXPECT_EQ(vocabulary.Find("the"), 1996);
  EXPECT_EQ(vocabulary.Find("red"), 2417);
  EXPECT_EQ(vocabulary.Entry(2417), "red");
  EXPECT_EQ(vocabulary.Find("##ing"), 2075);
  EXPECT_EQ(vocabulary.Find("not-an-entry"), std::nullopt);
}

TEST(Vocabulary, MissingFileIsNotFound) {
  const std::string path = ScratchDirectory("vocab-missing") + "/absent.txt";
  EXPECT_THAT(Vocabulary::Load(path),
              StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr(path), HasSubstr("not found"))));
}

TEST(Vocabulary, DirectoryIsInvalidArgument) {
  const std::string directory = ScratchDirectory("vocab-directory");
  EXPECT_THAT(Vocabulary::Load(directory),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is a directory")));
}

TEST(Vocabulary, UnreadableFileIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root can read any file";
  const std::string path = WriteFile(ScratchDirectory("vocab-unreadable"), "a\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  EXPECT_THAT(Vocabulary::Load(path), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(path)));
}

TEST(Vocabulary, EmptyFileIsInvalidArgument) {
  const std::string path = WriteFile(ScratchDirectory("vocab-empty"), "");
  EXPECT_THAT(Vocabulary::Load(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("vocabulary is empty")));
}

TEST(Vocabulary, DuplicateNamesBothLines) {
  const std::string path = WriteFile(ScratchDirectory("vocab-duplicate"), "[PAD]\nred\nblue\nred\n");
  EXPECT_THAT(Vocabulary::Load(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("line 4"), HasSubstr("duplicate entry \"red\""),
                             HasSubstr("first on line 2"))));
}

TEST(Vocabulary, InvalidUtf8NamesLineAndByte) {
  const std::string path = WriteFile(ScratchDirectory("vocab-utf8"), "ok\nab\xC3\x28\n");
  EXPECT_THAT(Vocabulary::Load(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("line 2"),
                             HasSubstr("invalid UTF-8 at byte 2"))));
}

TEST(Vocabulary, CrlfEndingsAreStripped) {
  const std::string path = WriteFile(ScratchDirectory("vocab-crlf"), "[PAD]\r\nred\r\nblue\r\n");
  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary, Vocabulary::Load(path));
  EXPECT_THAT(vocabulary.entries(), ElementsAre("[PAD]", "red", "blue"));
  EXPECT_EQ(vocabulary.Find("red"), 1);
}

TEST(Vocabulary, MixedEndingsAndNoFinalNewline) {
  const std::string path = WriteFile(ScratchDirectory("vocab-mixed"), "a\nb\r\nc");
  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary, Vocabulary::Load(path));
  EXPECT_THAT(vocabulary.entries(), ElementsAre("a", "b", "c"));
}

TEST(Vocabulary, CarriageReturnInsideLineIsKept) {
  const std::string path = WriteFile(ScratchDirectory("vocab-cr"), "a\rb\nc\r");
  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary, Vocabulary::Load(path));
  EXPECT_THAT(vocabulary.entries(), ElementsAre("a\rb", "c\r"));
}

TEST(Vocabulary, EmptyLineKeepsLaterIds) {
  const std::string path = WriteFile(ScratchDirectory("vocab-blank"), "a\n\nb\n");
  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary, Vocabulary::Load(path));
  EXPECT_EQ(vocabulary.size(), 3);
  EXPECT_EQ(vocabulary.Find("b"), 2);
  EXPECT_EQ(vocabulary.Find(""), 1);
}

TEST(Vocabulary, FromEntriesChecksLikeLoad) {
  EXPECT_THAT(Vocabulary::FromEntries({}, "test vocabulary"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("test vocabulary: vocabulary is empty")));
  EXPECT_THAT(Vocabulary::FromEntries({"x", "y", "x"}, "test vocabulary"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("test vocabulary: line 3"), HasSubstr("first on line 1"))));
  EXPECT_THAT(Vocabulary::FromEntries({"\xFF"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("vocabulary: line 1: invalid UTF-8 at byte 0")));

  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary, Vocabulary::FromEntries({"x", "y"}));
  EXPECT_EQ(vocabulary.Find("y"), 1);
  EXPECT_EQ(vocabulary.Entry(0), "x");
}

}  // namespace
}  // namespace synesthesia::text

#include "book/sequencer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

namespace kalshiflow::book {
namespace {

TEST(SequencerTest, AppliesConsecutiveSeqsPerSid) {
  Sequencer s;
  EXPECT_EQ(s.Check(1, 1), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(1, 2), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(2, 1), SeqVerdict::kApply);  // sids are independent
  EXPECT_EQ(s.Check(1, 3), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(2, 2), SeqVerdict::kApply);
  EXPECT_EQ(s.last_seq(1), 3);
  EXPECT_EQ(s.last_seq(2), 2);
  EXPECT_EQ(s.counters().applied, 5u);
  EXPECT_EQ(s.sid_count(), 2u);
}

TEST(SequencerTest, DuplicatesAreDroppedWithoutMovingTheAnchor) {
  Sequencer s;
  ASSERT_EQ(s.Check(1, 1), SeqVerdict::kApply);
  ASSERT_EQ(s.Check(1, 2), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(1, 2), SeqVerdict::kDuplicate);
  EXPECT_EQ(s.Check(1, 1), SeqVerdict::kDuplicate);
  EXPECT_EQ(s.last_seq(1), 2);
  EXPECT_EQ(s.Check(1, 3), SeqVerdict::kApply);
  EXPECT_EQ(s.counters().duplicates, 2u);
}

TEST(SequencerTest, GapReanchorsAtTheGapMessage) {
  Sequencer s;
  ASSERT_EQ(s.Check(1, 1), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(1, 5), SeqVerdict::kGap);
  EXPECT_EQ(s.last_seq(1), 5);
  EXPECT_EQ(s.counters().missing, 3u);  // 2, 3, 4
  EXPECT_EQ(s.Check(1, 6), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(1, 4), SeqVerdict::kDuplicate);  // a late straggler
  EXPECT_EQ(s.counters().gaps, 1u);
}

TEST(SequencerTest, FirstSeqMustBeOneByDefault) {
  Sequencer s;
  EXPECT_EQ(s.Check(9, 3), SeqVerdict::kGap);
  EXPECT_EQ(s.counters().missing, 2u);
  EXPECT_EQ(s.Check(9, 4), SeqVerdict::kApply);

  Sequencer any(Sequencer::Options{.accept_any_first_seq = true});
  EXPECT_EQ(any.Check(9, 3), SeqVerdict::kApply);
  EXPECT_EQ(any.Check(9, 4), SeqVerdict::kApply);
  EXPECT_EQ(any.counters().gaps, 0u);
}

TEST(SequencerTest, InvalidSeqsChangeNothing) {
  Sequencer s;
  EXPECT_EQ(s.Check(1, 0), SeqVerdict::kInvalid);
  EXPECT_EQ(s.Check(1, -5), SeqVerdict::kInvalid);
  EXPECT_EQ(s.Check(1, std::numeric_limits<int64_t>::min()), SeqVerdict::kInvalid);
  EXPECT_FALSE(s.last_seq(1).has_value());
  EXPECT_EQ(s.counters().invalid, 3u);
  EXPECT_EQ(s.Check(1, 1), SeqVerdict::kApply);
}

TEST(SequencerTest, ExtremeSeqsDoNotOverflow) {
  Sequencer s;
  const int64_t max = std::numeric_limits<int64_t>::max();
  ASSERT_EQ(s.Check(1, 1), SeqVerdict::kApply);
  EXPECT_EQ(s.Check(1, max), SeqVerdict::kGap);
  EXPECT_EQ(s.Check(1, max), SeqVerdict::kDuplicate);
  EXPECT_EQ(s.Check(1, 2), SeqVerdict::kDuplicate);
}

TEST(SequencerTest, ForgetAndResetStartSidsAfresh) {
  Sequencer s;
  ASSERT_EQ(s.Check(1, 1), SeqVerdict::kApply);
  ASSERT_EQ(s.Check(2, 1), SeqVerdict::kApply);
  s.Forget(1);
  EXPECT_FALSE(s.last_seq(1).has_value());
  EXPECT_EQ(s.last_seq(2), 1);
  EXPECT_EQ(s.Check(1, 1), SeqVerdict::kApply);  // a resubscription on a reused sid
  s.Reset();
  EXPECT_EQ(s.sid_count(), 0u);
  EXPECT_EQ(s.Check(2, 1), SeqVerdict::kApply);
}

TEST(SequencerTest, VerdictNames) {
  EXPECT_EQ(SeqVerdictName(SeqVerdict::kApply), "apply");
  EXPECT_EQ(SeqVerdictName(SeqVerdict::kDuplicate), "duplicate");
  EXPECT_EQ(SeqVerdictName(SeqVerdict::kGap), "gap");
  EXPECT_EQ(SeqVerdictName(SeqVerdict::kInvalid), "invalid");
}

// Against a per-sid reference of the PROTOCOL §3.5 rule, for arbitrary interleavings.
RC_GTEST_PROP(SequencerProperty, MatchesTheProtocolRule, ()) {
  const auto msgs = *rc::gen::container<std::vector<std::pair<int64_t, int64_t>>>(
      rc::gen::pair(rc::gen::inRange<int64_t>(1, 4), rc::gen::inRange<int64_t>(-1, 12)));
  Sequencer s;
  std::map<int64_t, int64_t> last;
  uint64_t applied = 0, dups = 0, gaps = 0;
  for (auto [sid, seq] : msgs) {
    const SeqVerdict v = s.Check(sid, seq);
    SeqVerdict want;
    if (seq < 1) {
      want = SeqVerdict::kInvalid;
    } else if (!last.count(sid)) {
      want = seq == 1 ? SeqVerdict::kApply : SeqVerdict::kGap;
      last[sid] = seq;
    } else if (seq == last[sid] + 1) {
      want = SeqVerdict::kApply;
      last[sid] = seq;
    } else if (seq <= last[sid]) {
      want = SeqVerdict::kDuplicate;
    } else {
      want = SeqVerdict::kGap;
      last[sid] = seq;
    }
    RC_ASSERT(v == want);
    applied += want == SeqVerdict::kApply;
    dups += want == SeqVerdict::kDuplicate;
    gaps += want == SeqVerdict::kGap;
  }
  RC_ASSERT(s.counters().applied == applied);
  RC_ASSERT(s.counters().duplicates == dups);
  RC_ASSERT(s.counters().gaps == gaps);
}

}  // namespace
}  // namespace kalshiflow::book

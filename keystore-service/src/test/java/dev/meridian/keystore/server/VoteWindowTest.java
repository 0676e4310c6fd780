package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The voting window alone: when a server votes, which votes count, when it closes. */
class VoteWindowTest {
  @Test
  void votesOnceWhenReadyOrInTheLastTwoSlots() {
    VoteWindow<String> w = new VoteWindow<>(10, 5, 3);
    assertFalse(w.voteNow(10, true), "not in the deciding slot itself");
    assertFalse(w.voteNow(11, false));
    assertFalse(w.voteNow(13, false));
    assertTrue(w.voteNow(14, false), "slot 14 is the last but one: vote with what came");
    assertFalse(w.voteNow(15, true), "once only");
    VoteWindow<String> ready = new VoteWindow<>(10, 5, 3);
    assertTrue(ready.voteNow(11, true));
    assertFalse(new VoteWindow<String>(10, 5, 3).voteNow(16, true), "after the window");
  }

  @Test
  void closesWhenEveryVoterVotedOrAtItsLastSlot() {
    VoteWindow<String> w = new VoteWindow<>(10, 5, 3);
    w.decided(10, 0, "too early");
    w.decided(11, 0, "a");
    w.decided(12, 0, "a again");
    w.decided(16, 1, "too late");
    assertEquals(VoteWindow.Closing.OPEN, w.slotClosed(12));
    w.decided(13, 1, "b");
    w.decided(13, 2, "c");
    assertEquals(VoteWindow.Closing.COMPLETE, w.slotClosed(13));
    assertEquals(List.of("a", "b", "c"), List.copyOf(w.votes()));

    VoteWindow<String> slow = new VoteWindow<>(10, 5, 3);
    slow.decided(11, 0, "a");
    assertEquals(VoteWindow.Closing.OPEN, slow.slotClosed(14));
    assertEquals(VoteWindow.Closing.COMPLETE, slow.slotClosed(15));
    assertEquals(VoteWindow.Closing.MISSED, new VoteWindow<String>(10, 5, 3).slotClosed(16));
  }
}

package dev.meridian.core.clocksync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.meridian.NodeId;
import dev.meridian.core.Effect;
import dev.meridian.core.Event;
import dev.meridian.core.Now;
import dev.meridian.core.clocksync.ClockSyncCore.ClockFault;
import dev.meridian.core.clocksync.ClockSyncCore.Reading;
import dev.meridian.core.clocksync.ClockSyncCore.Unsynchronized;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One member's exchanges, step by step, with hand-picked clock readings. */
class ClockSyncCoreTest {
  private static final NodeId C = NodeId.of("c");
  private static final NodeId R1 = NodeId.of("r1");
  private static final NodeId R2 = NodeId.of("r2");
  private static final long MS = 1_000_000;

  private static ClockSyncSettings client(int f, long minDelay) {
    return new ClockSyncSettings(List.of(R1, R2), f, 1e-4, minDelay, 50 * MS, 1_000 * MS, -1,
        100_000);
  }

  private static <T> List<T> delivered(List<Effect<SyncMessage>> effects, Class<T> type) {
    return effects.stream().filter(e -> e instanceof Effect.Deliver<SyncMessage> d
            && type.isInstance(d.value()))
        .map(e -> type.cast(((Effect.Deliver<SyncMessage>) e).value())).toList();
  }

  private static long askId(List<Effect<SyncMessage>> effects, NodeId to) {
    return effects.stream().filter(e -> e instanceof Effect.Send<SyncMessage> s
            && s.to().equals(to) && s.payload() instanceof SyncMessage.Ask)
        .map(e -> ((SyncMessage.Ask) ((Effect.Send<SyncMessage>) e).payload()).id())
        .findFirst().orElseThrow();
  }

  @Test
  void oneExchangeBoundsTrueTimeByTheRoundTripMinusTheMinimumDelays() {
    ClockSyncCore core = new ClockSyncCore(C, client(0, 100_000), ClockSyncCore.Variant.CORRECT);
    // Wall clock far off (it must not matter); monotonic at 1000 ms.
    List<Effect<SyncMessage>> start = core.handle(new Event.Start<>(new Now(5_000 * MS, 1_000 * MS)));
    assertEquals(1, delivered(start, Unsynchronized.class).size(), "no source heard yet");
    long id = askId(start, R1);
    // The answer comes 2 ms later (monotonic): the source said [500 ms, 501 ms].
    List<Effect<SyncMessage>> got = core.handle(new Event.Message<>(R1,
        new SyncMessage.Answer(id, 500 * MS, 501 * MS, SyncMessage.Vouch.VOUCHED),
        new Now(5_002 * MS, 1_002 * MS)));
    Reading r = delivered(got, Reading.class).get(0);
    // [e + dmin, l + rtt/(1-ρ) - dmin] = [500.1 ms, 501 + 2.0002 - 0.1 ms]
    assertEquals(500 * MS + 100_000, r.interval().earliest());
    assertEquals(501 * MS + (long) Math.ceil(2 * MS / (1 - 1e-4)) - 100_000,
        r.interval().latest());
    // 100 ms later with no new answer, the interval has grown by the drift bound on each side.
    List<Effect<SyncMessage>> later = core.handle(new Event.Request<>(new ClockSyncCore.ReadNow(),
        new Now(5_102 * MS, 1_102 * MS)));
    Reading aged = delivered(later, Reading.class).get(0);
    assertEquals(r.interval().earliest() + (long) Math.floor(100 * MS / (1 + 1e-4)),
        aged.interval().earliest());
    assertEquals(r.interval().latest() + (long) Math.ceil(100 * MS / (1 - 1e-4)),
        aged.interval().latest());
  }

  @Test
  void aFalsetickerIsOutvotedAndReported() {
    NodeId r3 = NodeId.of("r3");
    ClockSyncCore core = new ClockSyncCore(C, new ClockSyncSettings(List.of(R1, R2, r3), 1, 1e-4,
        0, 50 * MS, 1_000 * MS, -1, 100_000), ClockSyncCore.Variant.CORRECT);
    List<Effect<SyncMessage>> start = core.handle(new Event.Start<>(new Now(0, 0)));
    core.handle(new Event.Message<>(R1, new SyncMessage.Answer(askId(start, R1), 100 * MS,
        102 * MS, SyncMessage.Vouch.VOUCHED), new Now(0, MS)));
    core.handle(new Event.Message<>(R2, new SyncMessage.Answer(askId(start, R2), 101 * MS,
        103 * MS, SyncMessage.Vouch.VOUCHED), new Now(0, MS)));
    List<Effect<SyncMessage>> got = core.handle(new Event.Message<>(r3, new SyncMessage.Answer(
        askId(start, r3), 900 * MS, 902 * MS, SyncMessage.Vouch.VOUCHED), new Now(0, MS)));
    Reading r = delivered(got, Reading.class).get(0);
    assertTrue(r.interval().latest() < 110 * MS, "the falseticker dragged it: " + r);
    assertEquals(2, r.agreeing());
    assertEquals(List.of(r3), delivered(got, ClockFault.class).stream()
        .map(ClockFault::clock).toList());
  }

  @Test
  void aSteppedWallClockIsReportedAndAReferenceStopsVouchingForIt() {
    ClockSyncSettings reference = new ClockSyncSettings(List.of(R1, R2), 1, 1e-4, 0, 50 * MS,
        1_000 * MS, MS, 100_000);
    ClockSyncCore core = new ClockSyncCore(C, reference, ClockSyncCore.Variant.CORRECT);
    List<Effect<SyncMessage>> start = core.handle(new Event.Start<>(new Now(10_000 * MS, 0)));
    // Both other references claim the same time as ours: confirmed.
    core.handle(new Event.Message<>(R1, new SyncMessage.Answer(askId(start, R1), 10_000 * MS,
        10_002 * MS, SyncMessage.Vouch.UNCONFIRMED_CLAIM), new Now(10_001 * MS, MS)));
    core.handle(new Event.Message<>(R2, new SyncMessage.Answer(askId(start, R2), 10_000 * MS,
        10_002 * MS, SyncMessage.Vouch.UNCONFIRMED_CLAIM), new Now(10_001 * MS, MS)));
    assertTrue(core.vouchesForOwnClock());
    // The wall clock jumps 50 ms ahead of the monotonic one.
    List<Effect<SyncMessage>> got = core.handle(new Event.Message<>(R1, new SyncMessage.Ask(7),
        new Now(10_061 * MS, 11 * MS)));
    assertEquals(List.of(C), delivered(got, ClockFault.class).stream()
        .map(ClockFault::clock).toList());
    assertTrue(!core.vouchesForOwnClock());
    SyncMessage.Answer answer = (SyncMessage.Answer) got.stream()
        .filter(e -> e instanceof Effect.Send<SyncMessage>)
        .map(e -> ((Effect.Send<SyncMessage>) e).payload()).findFirst().orElseThrow();
    assertEquals(SyncMessage.Vouch.UNCONFIRMED_CLAIM, answer.vouch(), "never vouched again");
  }

  @Test
  void malformedAndUnpairedAnswersAreIgnored() {
    ClockSyncCore core = new ClockSyncCore(C, client(0, 0), ClockSyncCore.Variant.CORRECT);
    List<Effect<SyncMessage>> start = core.handle(new Event.Start<>(new Now(0, 0)));
    List<Effect<SyncMessage>> unpaired = core.handle(new Event.Message<>(R1,
        new SyncMessage.Answer(999, 0, 1, SyncMessage.Vouch.VOUCHED), new Now(0, 1)));
    assertEquals(List.of(), unpaired);
    List<Effect<SyncMessage>> wrongSender = core.handle(new Event.Message<>(R2,
        new SyncMessage.Answer(askId(start, R1), 0, 1, SyncMessage.Vouch.VOUCHED),
        new Now(0, 1)));
    assertEquals(List.of(), wrongSender, "an answer to r1's ask from r2 pairs with nothing");
    List<Effect<SyncMessage>> empty = core.handle(new Event.Message<>(R1,
        new SyncMessage.Answer(askId(start, R1), 10, 5, SyncMessage.Vouch.VOUCHED),
        new Now(0, 1)));
    assertEquals(1, delivered(empty, ClockFault.class).size());
    assertThrows(IllegalArgumentException.class, () -> new ClockSyncSettings(List.of(R1), -1,
        1e-4, 0, 1, 1, -1, 0));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClockSyncSettings(
        List.of(R1), 0, 0.5, 0, 1, 1, -1, 0)).getMessage().contains("maxDrift"));
  }
}

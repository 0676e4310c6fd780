package dev.meridian.replica;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.meridian.NodeId;
import org.junit.jupiter.api.Test;

class StateMachineNoneTest {
  @Test
  void keepsNoStateWhateverItApplies() {
    StateMachine<byte[], byte[], Void> none = StateMachine.none();
    assertSame(none, StateMachine.none());
    byte[] state = none.initialState();
    assertNull(none.apply(state, new byte[] {1, 2, 3}, NodeId.of("a")));
    assertArrayEquals(new byte[0], state);
    assertArrayEquals(new byte[0], none.stateCodec().decode(none.stateCodec().encode(state)));
    assertArrayEquals(new byte[] {7}, none.opCodec().decode(none.opCodec().encode(new byte[] {7})));
  }
}

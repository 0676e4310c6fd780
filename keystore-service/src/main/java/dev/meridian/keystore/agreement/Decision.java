package dev.meridian.keystore.agreement;

import java.util.Optional;

/**
 * What a correct process decided, and when.
 *
 * @param value the sender's value, or empty for the default ⊥ ("no value"): a faulty sender
 *     sent no value, or more than one
 * @param round the round at whose end the process decided
 */
public record Decision(Optional<Value> value, int round) {
  /** True for the default decision ⊥. */
  public boolean isDefault() {
    return value.isEmpty();
  }

  @Override
  public String toString() {
    return (value.map(Value::toString).orElse("⊥")) + "@round" + round;
  }
}

package dev.meridian.keystore.server;

/** The audit log {@link AuditLog#none()} returns: records nothing, never fails. */
final class NoAuditLog implements AuditLog {
  static final NoAuditLog INSTANCE = new NoAuditLog();

  private NoAuditLog() {}

  @Override
  public void accessDecision(Event event) {}

  @Override
  public void adminAction(Event event) {}

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "AuditLog.none()";
  }
}

package dev.meridian.sim;

/**
 * A scenario that counts figures of its own across the runs it made (events found, reports
 * made...), beside the violations every scenario counts. {@code meridian sim} prints {@link
 * #figuresLine()} just before its summary line.
 */
public interface ReportsFigures {

  /** The figures summed over every run so far, as one line of {@code key=value} pairs. */
  String figuresLine();
}

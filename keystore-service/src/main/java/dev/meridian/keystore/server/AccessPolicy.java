package dev.meridian.keystore.server;

import dev.meridian.keystore.wire.Names;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Who may read, write and administer which keys. A rule applies to the keys that start with its
 * prefix; the rule with the longest matching prefix decides, and a key no rule matches is
 * closed to everyone. Administrators may also read and write. Immutable: changing the policy at
 * run time is an admin action that goes through Byzantine agreement (issue 8), so that correct
 * servers never disagree about it.
 */
public final class AccessPolicy {
  /** What {@code clients} may do with keys starting with {@code keyPrefix}. */
  public record Rule(String keyPrefix, Set<String> readers, Set<String> writers,
      Set<String> admins) {
    /** Validates the prefix (empty matches every key) and the client ids. */
    public Rule {
      if (keyPrefix == null || (!keyPrefix.isEmpty() && !Names.isKey(keyPrefix))) {
        throw new IllegalArgumentException("rule prefix must be empty or a valid key name, was "
            + keyPrefix);
      }
      readers = Set.copyOf(readers);
      writers = Set.copyOf(writers);
      admins = Set.copyOf(admins);
      for (Set<String> ids : List.of(readers, writers, admins)) {
        ids.forEach(id -> Names.checkId("client id in rule \"" + keyPrefix + "\"", id));
      }
    }
  }

  /** What a request wants to do. */
  public enum Right { READ, WRITE, ADMIN }

  private final List<Rule> rules; // longest prefix first

  private AccessPolicy(List<Rule> rules) {
    List<Rule> sorted = new ArrayList<>(rules);
    sorted.sort(Comparator.comparingInt((Rule r) -> r.keyPrefix().length()).reversed());
    this.rules = List.copyOf(sorted);
  }

  /** A policy of these rules; two rules with one prefix are an error. */
  public static AccessPolicy of(List<Rule> rules) {
    long distinct = rules.stream().map(Rule::keyPrefix).distinct().count();
    if (distinct != rules.size()) {
      throw new IllegalArgumentException("two access rules have the same key prefix");
    }
    return new AccessPolicy(rules);
  }

  /** Every listed client may read, write and administer every key (tests, local grids). */
  public static AccessPolicy openTo(Set<String> clients) {
    return of(List.of(new Rule("", clients, clients, clients)));
  }

  /** Whether {@code client} has {@code right} on {@code key}. */
  public boolean allows(String client, Right right, String key) {
    for (Rule rule : rules) {
      if (key.startsWith(rule.keyPrefix())) {
        if (rule.admins().contains(client)) {
          return true;
        }
        return switch (right) {
          case READ -> rule.readers().contains(client);
          case WRITE -> rule.writers().contains(client);
          case ADMIN -> false;
        };
      }
    }
    return false;
  }

  /** The rules, longest prefix first. */
  public List<Rule> rules() {
    return rules;
  }
}

package dev.meridian.keystore.server;

import dev.meridian.keystore.wire.Names;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
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

  /** The rules as they travel ({@code AclRule}): by prefix, client ids sorted. */
  public List<dev.meridian.proto.v1.AclRule> toProto() {
    List<dev.meridian.proto.v1.AclRule> out = new ArrayList<>();
    rules.stream().sorted(Comparator.comparing(Rule::keyPrefix)).forEach(r -> out.add(
        dev.meridian.proto.v1.AclRule.newBuilder().setKeyPrefix(r.keyPrefix())
            .addAllReaders(new java.util.TreeSet<>(r.readers()))
            .addAllWriters(new java.util.TreeSet<>(r.writers()))
            .addAllAdmins(new java.util.TreeSet<>(r.admins())).build()));
    return out;
  }

  /**
   * The policy of rules that travelled as {@code AclRule}s.
   *
   * @throws IllegalArgumentException naming a bad prefix or client id, or a repeated prefix
   */
  public static AccessPolicy fromProto(List<dev.meridian.proto.v1.AclRule> rules) {
    List<Rule> out = new ArrayList<>();
    for (dev.meridian.proto.v1.AclRule r : rules) {
      out.add(new Rule(r.getKeyPrefix(), Set.copyOf(r.getReadersList()),
          Set.copyOf(r.getWritersList()), Set.copyOf(r.getAdminsList())));
    }
    return of(out);
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

  /**
   * Whether {@code client} may change the rule for {@code prefix}: it administers the keys under
   * it, by the rule with the longest prefix that is a prefix of {@code prefix} (the empty prefix
   * only by a rule for every key).
   */
  public boolean mayAdminister(String client, String prefix) {
    for (Rule rule : rules) {
      if (prefix.startsWith(rule.keyPrefix())) {
        return rule.admins().contains(client);
      }
    }
    return false;
  }

  /**
   * This policy with {@code right} given to ({@code grant}) or taken from {@code client} in the
   * rule for exactly {@code prefix}. Where no rule has that prefix, one is added that starts as a
   * copy of the rule that decided for it until now (or empty), so that a change for one client
   * never changes what anyone else may do. A rule left empty by a revoke stays: it closes its
   * keys, and a revoke never widens access.
   */
  public AccessPolicy with(String prefix, String client, Right right, boolean grant) {
    Names.checkId("client id", client);
    List<Rule> next = new ArrayList<>();
    Rule base = null;
    for (Rule rule : rules) { // longest prefix first: the first match decided until now
      if (rule.keyPrefix().equals(prefix)) {
        base = rule;
      } else {
        next.add(rule);
        if (base == null && prefix.startsWith(rule.keyPrefix())) {
          base = rule;
        }
      }
    }
    Set<String> readers = new HashSet<>(base == null ? Set.of() : base.readers());
    Set<String> writers = new HashSet<>(base == null ? Set.of() : base.writers());
    Set<String> admins = new HashSet<>(base == null ? Set.of() : base.admins());
    Set<String> changed = switch (right) {
      case READ -> readers;
      case WRITE -> writers;
      case ADMIN -> admins;
    };
    if (grant) {
      changed.add(client);
    } else {
      changed.remove(client);
    }
    next.add(new Rule(prefix, readers, writers, admins));
    return new AccessPolicy(next);
  }

  /**
   * Whether {@code client} has the admin right on some key prefix: who may read a server's
   * metrics ({@code Stats}), which name no key.
   */
  public boolean administersAny(String client) {
    return rules.stream().anyMatch(r -> r.admins().contains(client));
  }

  /** The rules, longest prefix first. */
  public List<Rule> rules() {
    return rules;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AccessPolicy other && Set.copyOf(rules).equals(Set.copyOf(other.rules));
  }

  @Override
  public int hashCode() {
    return Set.copyOf(rules).hashCode();
  }

  @Override
  public String toString() {
    return "AccessPolicy" + rules;
  }
}

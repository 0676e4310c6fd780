/**
 * Group membership as members see it: {@link dev.meridian.membership.View}s installed one after
 * another, and the {@link dev.meridian.membership.MembershipListener} that reports them.
 */
package dev.meridian.membership;

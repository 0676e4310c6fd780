package dev.meridian.cli;

public final class MeridianCli {
  public static void main(String[] args) {}
}

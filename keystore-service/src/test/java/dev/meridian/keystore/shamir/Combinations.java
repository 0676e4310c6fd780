package dev.meridian.keystore.shamir;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/** Helpers the Shamir tests share: x-coordinates 1..n, and every k-subset of a list. */
final class Combinations {
  private Combinations() {}

  /** 1, 2, …, n. */
  static List<Integer> oneTo(int n) {
    return IntStream.rangeClosed(1, n).boxed().toList();
  }

  /** Calls {@code action} once with every k-element subset of {@code items}, in order. */
  static <T> void forEachSubset(List<T> items, int k, Consumer<List<T>> action) {
    int[] index = IntStream.range(0, k).toArray();
    while (true) {
      List<T> subset = new ArrayList<>(k);
      for (int i : index) {
        subset.add(items.get(i));
      }
      action.accept(subset);
      int i = k - 1;
      while (i >= 0 && index[i] == items.size() - k + i) {
        i--;
      }
      if (i < 0) {
        return;
      }
      index[i]++;
      for (int j = i + 1; j < k; j++) {
        index[j] = index[j - 1] + 1;
      }
    }
  }
}

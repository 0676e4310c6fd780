package dev.meridian.keystore.server;

import dev.meridian.proto.v1.AdminBatch;
import dev.meridian.proto.v1.SignedRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin requests of one agreement slot, each once: its decided batches (by sender, in
 * sender order) with every request kept only in the first batch that holds it, and the requests
 * whose signature a correct server has checked.
 *
 * <p>Why. A request's window has f + 1 proposers ({@link AdminAgreement#proposes}), so the
 * slot's decided batches usually hold it f + 1 times; it is applied once. A correct server
 * proposes only requests whose client signature it checked, so a request (these exact signed
 * bytes) that the decided batches of f + 1 distinct senders hold was checked by at least one
 * correct server (at most f are faulty): its signature verifies, and the ledger need not check
 * it again. Both results are functions of the decided batches alone, which agreement makes the
 * same at every correct server, so correct servers still apply the same requests alike.
 */
record SlotRequests(Map<Integer, AdminBatch> batches, List<SignedRequest> checkedByACorrectProposer) {
  /** The slot's decided batches by sender (in sender order), f the most faulty servers. */
  static SlotRequests of(Map<Integer, AdminBatch> decided, int f) {
    Map<String, Integer> carriers = new HashMap<>();
    for (AdminBatch batch : decided.values()) {
      // A sender that repeats a request in its own batch still counts once.
      batch.getRequestsList().stream().map(AdminLedger::signedHash).distinct()
          .forEach(h -> carriers.merge(h, 1, Integer::sum));
    }
    Map<Integer, AdminBatch> unique = new LinkedHashMap<>();
    List<SignedRequest> checked = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (Map.Entry<Integer, AdminBatch> sent : decided.entrySet()) {
      AdminBatch batch = sent.getValue();
      List<SignedRequest> first = new ArrayList<>();
      for (SignedRequest request : batch.getRequestsList()) {
        String h = AdminLedger.signedHash(request);
        if (taken.add(h)) {
          first.add(request);
          if (carriers.get(h) > f) {
            checked.add(request);
          }
        }
      }
      unique.put(sent.getKey(), first.size() == batch.getRequestsCount() ? batch
          : batch.toBuilder().clearRequests().addAllRequests(first).build());
    }
    return new SlotRequests(unique, List.copyOf(checked));
  }
}

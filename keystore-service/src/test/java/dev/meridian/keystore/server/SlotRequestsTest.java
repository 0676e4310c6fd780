package dev.meridian.keystore.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import dev.meridian.proto.v1.AdminBatch;
import dev.meridian.proto.v1.SignedRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A slot's decided batches: each request applied once, and which ones need no second check. */
class SlotRequestsTest {
  private static SignedRequest request(String body, String signature) {
    return SignedRequest.newBuilder().setBody(ByteString.copyFromUtf8(body))
        .setSignature(ByteString.copyFromUtf8(signature)).build();
  }

  private static AdminBatch batch(SignedRequest... requests) {
    return AdminBatch.newBuilder().addAllRequests(List.of(requests)).build();
  }

  private static final SignedRequest A = request("a", "sig-a");
  private static final SignedRequest B = request("b", "sig-b");
  private static final SignedRequest C = request("c", "sig-c");

  @Test
  void eachRequestIsKeptOnlyInTheFirstBatchThatHoldsIt() {
    Map<Integer, AdminBatch> decided = new LinkedHashMap<>();
    decided.put(2, batch(A, B));
    decided.put(3, batch(B, C, A));
    SlotRequests slot = SlotRequests.of(decided, 1);
    assertEquals(List.of(A, B), slot.batches().get(2).getRequestsList());
    assertEquals(List.of(C), slot.batches().get(3).getRequestsList());
    // f = 1: A and B are held by two senders, so one of them is correct and checked them.
    assertEquals(List.of(A, B), slot.checkedByACorrectProposer());
  }

  @Test
  void fSendersAloneDoNotVouchForARequestAndRepeatsInOneBatchCountOnce() {
    Map<Integer, AdminBatch> decided = new LinkedHashMap<>();
    decided.put(0, batch(A, A, B));
    decided.put(5, batch(B));
    SlotRequests two = SlotRequests.of(decided, 2); // f = 2 needs 3 senders
    assertEquals(List.of(), two.checkedByACorrectProposer());
    assertEquals(List.of(A, B), two.batches().get(0).getRequestsList());
    assertEquals(List.of(), two.batches().get(5).getRequestsList());
    assertEquals(List.of(B), SlotRequests.of(decided, 1).checkedByACorrectProposer());
  }

  @Test
  void otherSignatureBytesOfTheSameBodyAreAnotherRequest() {
    // A faulty proposer's copy with a forged signature is neither merged with the real one nor
    // vouched for by the real one's proposers: the ledger checks it, and it fails there.
    SignedRequest forged = request("a", "forged");
    Map<Integer, AdminBatch> decided = new LinkedHashMap<>();
    decided.put(1, batch(forged));
    decided.put(4, batch(A));
    decided.put(7, batch(A));
    SlotRequests slot = SlotRequests.of(decided, 1);
    assertEquals(List.of(forged), slot.batches().get(1).getRequestsList());
    assertEquals(List.of(A), slot.batches().get(4).getRequestsList());
    assertEquals(List.of(A), slot.checkedByACorrectProposer());
  }
}

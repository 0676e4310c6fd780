package dev.meridian.keystore.store;

class InMemoryRecordStoreTest extends RecordStoreContract {

  @Override
  RecordStore newStore() {
    return new InMemoryRecordStore();
  }
}

"""The WitMotion family (WT901BLE and kin): the record codec and commands
(:mod:`.codec`), the host-clock stream decoder (:mod:`.stream`) and the
driver (:mod:`.driver`)."""

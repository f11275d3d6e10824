"""The V2 protocol: grpc_predict_v2.proto and its generated message classes."""

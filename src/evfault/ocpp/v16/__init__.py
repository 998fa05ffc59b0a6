"""ocpp/v16"""

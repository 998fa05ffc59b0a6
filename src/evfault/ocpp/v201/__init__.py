"""ocpp/v201"""
